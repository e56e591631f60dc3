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
			fmt.Fprintf(a.stderr, "berth serve: API listening on %s\n", path)
			return s.Serve(l)
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
			e, err := a.engine()
			if err != nil {
				return err
			}
			s := server.New(e, server.Options{Log: log.New(a.stderr, "berth dial-stdio: ", log.LstdFlags)})
			defer s.Close()
			if err := s.Serve(newStdioListener(a.stdin, a.stdout)); !errors.Is(err, net.ErrClosed) {
				return err
			}
			return nil
		},
	}
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
func (c *stdioConn) LocalAddr() net.Addr                { return stdioAddr{} }
func (c *stdioConn) RemoteAddr() net.Addr               { return stdioAddr{} }
func (c *stdioConn) SetDeadline(t time.Time) error      { return nil }
func (c *stdioConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *stdioConn) SetWriteDeadline(t time.Time) error { return nil }

type stdioAddr struct{}

func (stdioAddr) Network() string { return "stdio" }
func (stdioAddr) String() string  { return "stdio" }
