package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/attach"
)

// Resize sets the size of a running container's terminal outside an Attach
// call, as `docker container resize` and the Docker Engine API's resize
// endpoint do: it connects to the container's monitor like an attaching
// client, waits until the monitor serves it, sends one resize frame and
// hangs up. A container without a terminal ignores it. A container that is
// not running is an errdefs.ErrConflict error.
func (e *Engine) Resize(ctx context.Context, ref string, width, height uint16) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	name := c.Name[1:]
	if !c.State.Running {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not running", name))
	}
	if width == 0 || height == 0 {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("a terminal of %dx%d cannot be set: width and height must be positive", width, height))
	}
	// A monitor crossing into its lean shape right after the start hangs up
	// on clients that came before it served them: dial it again.
	for try := 0; ; try++ {
		err := e.resizeOnce(ctx, c.ID, name, width, height)
		if !errors.Is(err, errMonitorHungUp) || try == resizeTries {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// resizeTries bounds Resize's dials of a monitor that hangs up on it.
const resizeTries = 100

// errMonitorHungUp is a monitor closing the connection before it served it.
var errMonitorHungUp = errors.New("the container's monitor hung up")

// resizeOnce is one Resize exchange with the container's monitor.
func (e *Engine) resizeOnce(ctx context.Context, id, name string, width, height uint16) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", e.sockPath(id))
	if err != nil {
		return fmt.Errorf("resize %s: %w", name, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := attach.WriteFrame(conn, attach.Ready, nil); err != nil {
		return fmt.Errorf("resize %s: %w", name, err)
	}
	for { // output frames may come before Started; only then is input read
		k, p, err := attach.ReadFrame(conn)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
				err = errMonitorHungUp
			}
			return fmt.Errorf("resize %s: %w", name, err)
		}
		switch k {
		case attach.Exit:
			code, _ := attach.ParseExit(p)
			return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not running (it exited with code %d)", name, code))
		case attach.Started:
			if err := attach.WriteFrame(conn, attach.Resize, attach.ResizePayload(width, height)); err != nil {
				return fmt.Errorf("resize %s: %w", name, err)
			}
			return awaitHangup(ctx, conn)
		}
	}
}

// awaitHangup half-closes conn and reads until the monitor hangs up: it
// does once it has read every frame sent (the resize was applied), also
// when the connection crossed into the monitor's lean shape meanwhile.
func awaitHangup(ctx context.Context, conn net.Conn) error {
	if uc, ok := conn.(*net.UnixConn); ok {
		if err := uc.CloseWrite(); err != nil {
			return nil // the monitor is gone: nothing to resize any more
		}
	}
	for {
		k, _, err := attach.ReadFrame(conn)
		if err != nil || k == attach.Exit {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return nil
		}
	}
}
