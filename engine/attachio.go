package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/containerd/errdefs"

	"berth/engine/attach"
)

// ErrDetached is returned by Attach and Exec when the client typed its detach
// keys: the client let go, the container (or exec'd process) runs on. Its
// text is what docker prints then.
var ErrDetached = errors.New("read escape sequence")

// AttachOptions tune Attach.
type AttachOptions struct {
	// DetachKeys, when not empty, is the byte sequence (see
	// attach.ParseDetachKeys) that, read from Stdin, detaches the client.
	DetachKeys []byte
}

// Attach connects to a running (or just started) container's monitor and pumps
// its streams until the container exits, returning the exit code. Typing the
// detach keys returns ErrDetached; closing the context detaches too (returns
// ctx.Err()). Either way the container keeps running, and once Attach returns
// no goroutine reads streams.Stdin any more when it is an *os.File or has
// read deadlines (see input).
func (e *Engine) Attach(ctx context.Context, ref string, o AttachOptions, streams IO) (int, error) {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return -1, err
	}
	name := c.Name[1:]
	conn, err := net.Dial("unix", e.sockPath(c.ID))
	if err != nil {
		if !c.State.Running {
			return -1, errdefs.ErrConflict.WithMessage(fmt.Sprintf("you cannot attach to a stopped container %s, start it first", name))
		}
		return -1, fmt.Errorf("attach %s: %w", name, err)
	}
	defer conn.Close()
	var wmu sync.Mutex
	send := func(k attach.Kind, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return attach.WriteFrame(conn, k, p)
	}
	if err := send(attach.Ready, nil); err != nil {
		return -1, fmt.Errorf("attach %s: %w", name, err)
	}
	p := newPump(streams, o.DetachKeys, send, c.Config.StdinOnce)
	defer p.stop()
	go func() {
		select {
		case <-ctx.Done():
			// The client left: the input of a container run with -i and
			// no TTY (StdinOnce) ends with it, as in Docker.
			if p.in != nil && c.Config.StdinOnce && !c.Config.Tty {
				_ = send(attach.CloseStdin, nil)
			}
		case <-p.detached:
		case <-p.finished:
			return
		}
		conn.Close()
	}()
	code, err := readOutput(conn, streams, name, p.start)
	close(p.finished)
	switch {
	case p.wasDetached():
		return -1, ErrDetached
	case ctx.Err() != nil && err != nil:
		return -1, ctx.Err()
	}
	return code, err
}

// pump forwards a client's stdin and terminal resizes to the monitor.
type pump struct {
	s          IO
	in         *attach.Input
	keys       []byte
	send       func(attach.Kind, []byte) error
	closeOnEOF bool
	detached   chan struct{} // closed when the detach keys are read
	finished   chan struct{} // closed when the output ends
	resizeDone chan struct{}
	once       sync.Once
}

func newPump(s IO, keys []byte, send func(attach.Kind, []byte) error, closeOnEOF bool) *pump {
	p := &pump{s: s, keys: keys, send: send, closeOnEOF: closeOnEOF,
		detached: make(chan struct{}), finished: make(chan struct{}), resizeDone: make(chan struct{})}
	if s.Stdin != nil {
		p.in = attach.NewInput(s.Stdin)
	}
	return p
}

// start begins forwarding; the monitor said the process runs.
func (p *pump) start() {
	p.once.Do(func() {
		if p.s.Resize != nil {
			go p.resizes()
		}
		if p.in == nil {
			return
		}
		eof := func() {
			if p.closeOnEOF {
				_ = p.send(attach.CloseStdin, nil)
			}
		}
		p.in.Start(attach.NewDetector(p.keys), func(b []byte) error { return p.send(attach.Stdin, b) }, eof, p.detached)
	})
}

func (p *pump) resizes() {
	for {
		select {
		case ws, ok := <-p.s.Resize:
			if !ok || p.send(attach.Resize, attach.ResizePayload(ws.Width, ws.Height)) != nil {
				return
			}
		case <-p.resizeDone:
			return
		}
	}
}

// stop ends forwarding: no goroutine is left reading stdin or resizes.
func (p *pump) stop() {
	close(p.resizeDone)
	if p.in != nil {
		p.in.Stop()
	}
}

func (p *pump) wasDetached() bool {
	select {
	case <-p.detached:
		return true
	default:
		return false
	}
}

// readOutput copies output frames until the exit frame; input starts once the
// monitor says the process runs.
func readOutput(conn net.Conn, s IO, name string, startInput func()) (int, error) {
	for {
		k, p, err := attach.ReadFrame(conn)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return -1, fmt.Errorf("attach %s: connection closed before the exit code", name)
			}
			return -1, fmt.Errorf("attach %s: %w", name, err)
		}
		switch k {
		case attach.Stdout:
			if s.Stdout != nil {
				s.Stdout.Write(p)
			}
		case attach.Stderr:
			if s.Stderr != nil {
				s.Stderr.Write(p)
			}
		case attach.Started:
			startInput()
		case attach.Exit:
			return attach.ParseExit(p)
		}
	}
}
