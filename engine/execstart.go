package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/monitor"
)

// ExecStartOptions are Docker's exec start options.
type ExecStartOptions struct {
	// Detach starts the process and returns at once (exit code 0); this
	// process watches it while it lives, to record its exit code.
	Detach bool
	// ConsoleSize is the terminal's first size (else the one given at
	// create); later sizes come from the streams' Resize or ExecResize.
	ConsoleSize *WinSize
}

// ExecStart runs exec instance ref once, in this process's care, with the
// given streams (nil streams are not attached; a start without stdin is not
// interactive), and records how it ended: its exit code, or none when the
// detach keys were typed or ctx ended first (the process runs on).
func (e *Engine) ExecStart(ctx context.Context, ref string, so ExecStartOptions, streams IO) (int, error) {
	x, err := e.ExecInspect(ctx, ref)
	if err != nil {
		return -1, err
	}
	c, err := e.runningForExec(ctx, x.ContainerID)
	if err != nil {
		return -1, err
	}
	if err := e.claimExec(x); err != nil {
		return -1, err
	}
	x.Started, x.Running, x.Owner = true, true, os.Getpid()
	if err := monitor.WriteJSON(e.execPath(x.ID), x); err != nil {
		return -1, fmt.Errorf("exec instance: %w", err)
	}
	o := x.Config.ExecOptions
	o.execID, o.Detach = x.ID, false
	if so.Detach {
		streams = IO{}
	}
	if streams.Stdin == nil {
		o.Interactive = false
	}
	size := so.ConsoleSize
	if size == nil {
		size = x.Config.ConsoleSize
	}
	if !so.Detach {
		return e.runExecInstance(ctx, c, x, o, size, streams)
	}
	started, failed := make(chan struct{}), make(chan error, 1)
	o.started = func() { close(started) }
	go func() {
		if _, err := e.runExecInstance(context.WithoutCancel(ctx), c, x, o, size, streams); err != nil {
			failed <- err
		}
	}()
	select {
	case <-started:
		return 0, nil
	case err := <-failed:
		return -1, err
	}
}

// runExecInstance runs a claimed instance's process and records its end.
func (e *Engine) runExecInstance(ctx context.Context, c *Container, x *ExecInstance, o ExecOptions, size *WinSize, streams IO) (int, error) {
	sizes, stop := e.execSizes(x, size, streams.Resize)
	defer stop()
	streams.Resize = sizes
	code, err := e.Exec(ctx, c.ID, o, streams)
	x.Running, x.Ended = false, time.Now().UTC()
	switch {
	case errors.Is(err, ErrDetached) || ctx.Err() != nil:
		err = nil // it runs on, unwatched: no exit code
	case err != nil && code < 0:
	default:
		x.ExitCode = &code
		e.emit("exec_die", c, map[string]string{"execID": x.ID, "exitCode": strconv.Itoa(code)})
	}
	if werr := monitor.WriteJSON(e.execPath(x.ID), x); werr != nil && err == nil {
		err = fmt.Errorf("exec instance: %w", werr)
	}
	return code, err
}

// claimExec takes the one start an instance has: a second start, from this
// process or another, is a conflict.
func (e *Engine) claimExec(x *ExecInstance) error {
	f, err := os.OpenFile(e.execStarted(x.ID), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		if x.Running {
			return errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s is already running", x.ID))
		}
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s has already run", x.ID))
	}
	if err != nil {
		return fmt.Errorf("exec instance: %w", err)
	}
	return f.Close()
}

// execSizes is the terminal sizes an exec gets: first, then those from the
// caller's channel and those ExecResize sends over the instance's socket
// (a terminal exec only). stop ends the forwarding and removes the socket.
func (e *Engine) execSizes(x *ExecInstance, first *WinSize, from <-chan WinSize) (<-chan WinSize, func()) {
	out, done := make(chan WinSize, 4), make(chan struct{})
	send := func(ws WinSize) {
		if ws.Width == 0 || ws.Height == 0 {
			return
		}
		select {
		case out <- ws:
		case <-done:
		}
	}
	if first != nil {
		out <- *first
	}
	var l net.Listener
	if x.Config.Tty {
		path := e.execSockPath(x.ID)
		os.Remove(path)
		if ln, err := net.Listen("unix", path); err == nil {
			l = ln
			go acceptSizes(l, send)
		}
	}
	if from != nil {
		go func() {
			for {
				select {
				case ws, ok := <-from:
					if !ok {
						return
					}
					send(ws)
				case <-done:
					return
				}
			}
		}()
	}
	return out, func() {
		close(done)
		if l != nil {
			l.Close()
			os.Remove(e.execSockPath(x.ID))
		}
	}
}

// acceptSizes reads "WIDTH HEIGHT" lines from each connection to l.
func acceptSizes(l net.Listener, send func(WinSize)) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			var w, h uint16
			if _, err := fmt.Sscanf(sc.Text(), "%d %d", &w, &h); err == nil {
				send(WinSize{Width: w, Height: h})
			}
		}
		conn.Close()
	}
}

// ExecResize sets a running terminal exec's size, whichever berth process
// runs it.
func (e *Engine) ExecResize(ctx context.Context, ref string, ws WinSize) error {
	x, err := e.ExecInspect(ctx, ref)
	if err != nil {
		return err
	}
	if !x.Running {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s is not running", x.ID))
	}
	if ws.Width == 0 || ws.Height == 0 || !x.Config.Tty {
		return nil // nothing to size, as dockerd
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", e.execSockPath(x.ID))
	if err != nil {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s is not running", x.ID))
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "%d %d\n", ws.Width, ws.Height); err != nil {
		return fmt.Errorf("resize exec %s: %w", x.ID, err)
	}
	return nil
}
