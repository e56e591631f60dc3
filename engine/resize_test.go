package engine_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
)

// TestResizeOutsideAttach: Resize sets a running container's terminal size
// with no client attached, every time (a resize that crosses the monitor's
// change into its lean shape included); a stopped container is a conflict
// and a zero size a bad argument.
func TestResizeOutsideAttach(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	o := opts("sleep", "1000")
	o.Config.Tty, o.Config.OpenStdin = true, true
	startDetached(t, e, "tty", o)
	for _, size := range []engine.WinSize{{Width: 77, Height: 33}, {Width: 120, Height: 40}, {Width: 81, Height: 24}} {
		if err := e.Resize(ctx, "tty", size.Width, size.Height); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := e.Exec(ctx, "tty", engine.ExecOptions{Cmd: []string{"sh", "-c", "stty size < /proc/1/fd/0"}}, engine.IO{Stdout: &out, Stderr: &out}); err != nil {
			t.Fatal(err)
		}
		if want := strconv.Itoa(int(size.Height)) + " " + strconv.Itoa(int(size.Width)) + "\n"; out.String() != want {
			t.Errorf("after Resize(%d, %d) the terminal is %q", size.Width, size.Height, out.String())
		}
	}
	if err := e.Resize(ctx, "tty", 0, 24); !errdefs.IsInvalidArgument(err) {
		t.Errorf("a zero width: %v", err)
	}
	if err := e.Stop(ctx, "tty", engine.StopOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Resize(ctx, "tty", 80, 24); !errdefs.IsConflict(err) {
		t.Errorf("resize of a stopped container: %v", err)
	}
	if err := e.Resize(ctx, "nosuch", 80, 24); !errdefs.IsNotFound(err) {
		t.Errorf("resize of an unknown container: %v", err)
	}
}

// TestResizeRightAfterAttachedStart: the resize docker sends as soon as
// `docker run -it` has started the container (its client attached, the
// monitor crossing into its lean shape) takes effect.
func TestResizeRightAfterAttachedStart(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		o := opts("sh")
		o.Config.Tty, o.Config.OpenStdin = true, true
		c, err := e.Create(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(ctx, c.ID, engine.StartOptions{WaitAttach: true}); err != nil {
			t.Fatal(err)
		}
		actx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.Attach(actx, c.ID, engine.AttachOptions{}, engine.IO{Stdout: &lockedBuffer{}})
		}()
		for {
			err := e.Resize(ctx, c.ID, 77, 33)
			if err == nil {
				break
			}
			if !errdefs.IsConflict(err) {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		if _, err := e.Exec(ctx, c.ID, engine.ExecOptions{Cmd: []string{"sh", "-c", "stty size < /proc/1/fd/0"}}, engine.IO{Stdout: &out, Stderr: &out}); err != nil {
			t.Fatal(err)
		}
		if out.String() != "33 77\n" {
			t.Errorf("run %d: a resize right after the start left the terminal %q", i, out.String())
		}
		cancel()
		<-done
		if err := e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
}
