package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"berth/engine/server"
)

// serveCommand is `berth serve`: the Docker Engine API on a unix socket.
func (a *app) serveCommand() *cobra.Command {
	var host, group string
	cmd := &cobra.Command{
		Use:   "serve [-H unix:///path/docker.sock] [--group G]",
		Short: "Answer the Docker Engine API on a unix socket (docker, docker-py and compose drive berth)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.local() // serve answers for the in-process engine
			if err != nil {
				return err
			}
			e.KeepSpareMonitor(true) // a monitor's start-up off each start's path
			path := e.APISocket()
			if host != "" {
				if path, err = server.SocketPath(host); err != nil {
					return err
				}
			}
			l, err := server.ListenUnix(path, group)
			if err != nil {
				return err
			}
			defer os.Remove(path)
			s := server.New(e, server.Options{Log: log.New(a.stderr, "berth serve: ", log.LstdFlags)})
			ctx, stop := signal.NotifyContext(cmd.Context(), unix.SIGINT, unix.SIGTERM)
			defer stop()
			go func() { <-ctx.Done(); s.Close() }()
			go e.WatchEnds(ctx) // a container that ends on its own frees its address and names at once
			fmt.Fprintf(a.stderr, "berth serve: API listening on %s\n", path)
			err = s.Serve(l)
			s.Close() // wait for the streams still running (exec exit codes, attaches)
			return err
		},
	}
	cmd.Flags().StringVarP(&host, "host", "H", "", "unix socket to listen on (default: docker.sock in berth's runtime directory)")
	cmd.Flags().StringVar(&group, "group", "", "group that may use the socket (default: root only)")
	return cmd
}

// dialStdio is `berth system dial-stdio`: the API over this process's
// standard input and output, one connection, as `docker system dial-stdio`
// serves it for `ssh host ...`. No daemon is needed.
func (a *app) dialStdio() *cobra.Command {
	return &cobra.Command{
		Use:   "dial-stdio",
		Short: "Answer the Docker Engine API over standard input and output (for ssh)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.local()
			if err != nil {
				return err
			}
			// With berth serve on this root, carry the bytes to it, as
			// docker's dial-stdio does to dockerd: exec instances and
			// attaches then span connections.
			if conn, err := net.Dial("unix", e.APISocket()); err == nil {
				return proxyStdio(conn, a.stdin, a.stdout)
			}
			s := server.New(e, server.Options{Log: log.New(a.stderr, "berth dial-stdio: ", log.LstdFlags)})
			defer s.Close()
			if err := s.Serve(newStdioListener(pollable(a.stdin), pollable(a.stdout))); !errors.Is(err, net.ErrClosed) {
				return err
			}
			return nil
		},
	}
}

// proxyStdio copies stdin to conn and conn to stdout until either side
// ends; the server sees stdin's end as a half-close.
func proxyStdio(conn net.Conn, stdin io.Reader, stdout io.Writer) error {
	defer conn.Close()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(conn, stdin)
		if uc, ok := conn.(*net.UnixConn); ok {
			uc.CloseWrite()
		}
		done <- err
	}()
	_, err := io.Copy(stdout, conn)
	return err
}

// stdioListener yields one connection made of stdin and stdout, then waits
// until that connection closes and reports the listener closed.
type stdioListener struct {
	conn   net.Conn
	served chan struct{}
	done   chan struct{}
}

func newStdioListener(r io.Reader, w io.Writer) *stdioListener {
	l := &stdioListener{served: make(chan struct{}), done: make(chan struct{})}
	l.conn = &stdioConn{Reader: r, Writer: w, closed: l.done}
	return l
}

func (l *stdioListener) Accept() (net.Conn, error) {
	select {
	case <-l.served:
	default:
		close(l.served)
		return l.conn, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *stdioListener) Close() error   { l.conn.Close(); return nil }
func (l *stdioListener) Addr() net.Addr { return stdioAddr{} }

// stdioConn is a net.Conn over a reader and a writer.
type stdioConn struct {
	io.Reader
	io.Writer
	once   sync.Once
	closed chan struct{}
}

func (c *stdioConn) Close() error {
	c.once.Do(func() {
		close(c.closed)
		if cl, ok := c.Writer.(io.Closer); ok {
			cl.Close()
		}
	})
	return nil
}
func (c *stdioConn) LocalAddr() net.Addr  { return stdioAddr{} }
func (c *stdioConn) RemoteAddr() net.Addr { return stdioAddr{} }

// Read reads the input; a deadline's expiry is a net.Error timeout, as the
// HTTP server tells its own aborted reads from a client that left.
func (c *stdioConn) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = deadlineError{}
	}
	return n, err
}

// deadlineError is a read cut by its deadline, as net.Conns report it.
type deadlineError struct{}

func (deadlineError) Error() string        { return "i/o timeout" }
func (deadlineError) Timeout() bool        { return true }
func (deadlineError) Temporary() bool      { return true }
func (deadlineError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// SetDeadline sets both deadlines.
func (c *stdioConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline passes the deadline to the input when it takes one (a
// pollable pipe or socket): the engine ends a session's input with it.
func (c *stdioConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.Reader.(interface{ SetReadDeadline(time.Time) error }); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// SetWriteDeadline passes the deadline to the output when it takes one.
func (c *stdioConn) SetWriteDeadline(t time.Time) error {
	if d, ok := c.Writer.(interface{ SetWriteDeadline(time.Time) error }); ok {
		return d.SetWriteDeadline(t)
	}
	return nil
}

// pollable returns a non-blocking duplicate of a file stream (a pipe or a
// socket, as ssh gives), which Go's poller serves and so honours deadlines;
// anything else is returned as it is.
func pollable[T any](v T) T {
	f, ok := any(v).(*os.File)
	if !ok {
		return v
	}
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return v
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return v
	}
	p, ok := any(os.NewFile(uintptr(fd), f.Name())).(T)
	if !ok {
		unix.Close(fd)
		return v
	}
	return p
}

type stdioAddr struct{}

func (stdioAddr) Network() string { return "stdio" }
func (stdioAddr) String() string  { return "stdio" }
