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

// Attach connects to a running (or just started) container's monitor and pumps
// its streams until the container exits, returning the exit code. Closing the
// context detaches without stopping the container (returns ctx.Err()).
func (e *Engine) Attach(ctx context.Context, ref string, streams IO) (int, error) {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return -1, err
	}
	conn, err := net.Dial("unix", e.sockPath(c.ID))
	if err != nil {
		if !c.State.Running {
			return -1, errdefs.ErrConflict.WithMessage(fmt.Sprintf("you cannot attach to a stopped container %s, start it first", c.Name[1:]))
		}
		return -1, fmt.Errorf("attach %s: %w", c.Name[1:], err)
	}
	defer conn.Close()
	var wmu sync.Mutex
	send := func(k attach.Kind, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return attach.WriteFrame(conn, k, p)
	}
	if err := send(attach.Ready, nil); err != nil {
		return -1, fmt.Errorf("attach %s: %w", c.Name[1:], err)
	}
	startInput := func() { go pumpInput(streams, send, c.Config.StdinOnce || !c.Config.Tty) }
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			conn.Close()
		case <-done:
		}
	}()
	return readOutput(ctx, conn, streams, c.Name[1:], startInput)
}

// pumpInput forwards stdin and terminal resizes to the monitor.
func pumpInput(s IO, send func(attach.Kind, []byte) error, closeOnEOF bool) {
	if s.Resize != nil {
		go func() {
			for ws := range s.Resize {
				if send(attach.Resize, attach.ResizePayload(ws.Width, ws.Height)) != nil {
					return
				}
			}
		}()
	}
	if s.Stdin == nil {
		return
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := s.Stdin.Read(buf)
		if n > 0 && send(attach.Stdin, buf[:n]) != nil {
			return
		}
		if err != nil {
			if closeOnEOF {
				_ = send(attach.CloseStdin, nil)
			}
			return
		}
	}
}

// readOutput copies output frames until the exit frame; input starts once the
// monitor says the process runs.
func readOutput(ctx context.Context, conn net.Conn, s IO, name string, startInput func()) (int, error) {
	for {
		k, p, err := attach.ReadFrame(conn)
		if err != nil {
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
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
