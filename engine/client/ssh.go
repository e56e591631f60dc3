package client

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
)

// sshTarget is where an ssh:// address leads: the ssh command line that
// reaches the other machine and runs berth's API there over standard input
// and output.
type sshTarget struct {
	// args are ssh's arguments: options, the host, the remote command.
	args []string
}

// parseSSH reads an ssh://[user@]host[:port] address, as docker's -H takes
// it. A path, query or fragment, an empty host or a bad port is refused.
func parseSSH(addr string) (sshTarget, error) {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme != "ssh" {
		return sshTarget{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q is not an ssh://[user@]host[:port] address", addr))
	}
	if u.Hostname() == "" || strings.HasPrefix(u.Hostname(), "-") {
		return sshTarget{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q names no host", addr))
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return sshTarget{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q has more than ssh://[user@]host[:port]", addr))
	}
	if _, set := u.User.Password(); set {
		return sshTarget{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q holds a password: ssh takes keys or asks for it", addr))
	}
	args := []string{"-T", "-o", "ConnectTimeout=30"}
	if name := u.User.Username(); name != "" {
		args = append(args, "-l", name)
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != p {
			return sshTarget{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q has a bad port %q", addr, p))
		}
		args = append(args, "-p", p)
	}
	args = append(args, "--", u.Hostname(), "berth", "system", "dial-stdio")
	return sshTarget{args: args}, nil
}

// NewSSH connects to berth on another machine over ssh
// (ssh://[user@]host[:port]): each connection is an ssh session running
// `berth system dial-stdio` there, as docker's -H ssh:// runs `docker system
// dial-stdio`. The ssh command is the one on PATH, with the user's own
// configuration and keys; no daemon is needed on either side.
func NewSSH(ctx context.Context, addr string) (*Client, error) {
	t, err := parseSSH(addr)
	if err != nil {
		return nil, err
	}
	d := &sshDialer{target: t}
	c, err := NewDial(ctx, d.dial)
	if err != nil {
		if why := d.lastError(); why != "" {
			return nil, errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("cannot reach berth over %s: %s", addr, why))
		}
		return nil, err
	}
	return c, nil
}

// sshDialer starts one ssh session per connection and keeps the last
// thing a failed session said on its standard error.
type sshDialer struct {
	target sshTarget
	mu     sync.Mutex
	last   string
}

// lastError is the last line a session that ended said on its standard
// error, or nothing.
func (d *sshDialer) lastError() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

func (d *sshDialer) dial(ctx context.Context) (net.Conn, error) {
	mine, theirs, err := socketPair()
	if err != nil {
		return nil, fmt.Errorf("ssh connection: %w", err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("ssh", d.target.args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = theirs, theirs, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // a ^C at the terminal is the client's, not ssh's
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		mine.Close()
		return nil, errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("cannot run ssh: %v", err))
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		if msg := lastLine(stderr.String()); msg != "" {
			d.mu.Lock()
			d.last = msg
			d.mu.Unlock()
		}
		close(done)
	}()
	return &sshConn{Conn: mine, cmd: cmd, done: done}, nil
}

// lastLine is the last non-empty line of s, trimmed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// sshConn is a connection over one ssh session; closing it ends the
// session.
type sshConn struct {
	net.Conn
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// CloseWrite ends what the client sends (the end of an exec's or attach's
// input), which ssh carries to the other side as the end of its input.
func (c *sshConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection and waits a little for ssh to end on the
// end of its input before it kills it.
func (c *sshConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		select {
		case <-c.done:
		case <-time.After(2 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	return err
}

// socketPair is a connected pair of unix stream sockets: this end as a
// net.Conn, the other as a file for a child's standard input and output.
func socketPair() (net.Conn, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	f0 := os.NewFile(uintptr(fds[0]), "ssh-conn")
	defer f0.Close()
	conn, err := net.FileConn(f0)
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, err
	}
	return conn, os.NewFile(uintptr(fds[1]), "ssh-stdio"), nil
}
