package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/runner"
)

// DefaultStopTimeout is how long stop waits after the stop signal before SIGKILL.
const DefaultStopTimeout = 10 * time.Second

// Stop sends the container's stop signal (SIGTERM unless set), waits up to
// timeout (nil: the container's --stop-timeout or 10 s) and then kills it.
// Stopping a container that does not run does nothing. The restart policy does
// not bring a stopped container back.
func (e *Engine) Stop(ctx context.Context, ref string, timeout *time.Duration) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(e.containerDir(c.ID), "stopped"), nil, 0o600); err != nil {
		return fmt.Errorf("stop %s: %w", c.Name[1:], err)
	}
	if !c.State.Running {
		return nil
	}
	sig := unix.SIGTERM
	if c.Config.StopSignal != "" {
		if sig, err = ParseSignal(c.Config.StopSignal); err != nil {
			return err
		}
	}
	d := DefaultStopTimeout
	if c.Config.StopTimeout != nil {
		d = time.Duration(*c.Config.StopTimeout) * time.Second
	}
	if timeout != nil {
		d = *timeout
	}
	if err := e.signal(c.ID, sig); err != nil {
		return err
	}
	if c.State.Paused {
		_ = e.resume(c.ID)
	}
	if !e.waitStopped(ctx, c.ID, d) {
		if err := e.signal(c.ID, unix.SIGKILL); err != nil {
			return err
		}
		if !e.waitStopped(ctx, c.ID, 30*time.Second) {
			return fmt.Errorf("container %s did not stop after SIGKILL", c.Name[1:])
		}
	}
	e.emit("stop", c, nil)
	return nil
}

// waitStopped polls until the container's monitor has finished with it.
func (e *Engine) waitStopped(ctx context.Context, id string, d time.Duration) bool {
	st, err := e.runtimeState(id)
	if err != nil {
		return false
	}
	return waitMonitor(ctx, st, d)
}

func (e *Engine) signal(id string, sig unix.Signal) error {
	c, err := runner.Load(e.stateRoot(), id)
	if err != nil {
		return err
	}
	if err := c.Signal(sig); err != nil {
		return fmt.Errorf("signal %s: %w", id[:12], err)
	}
	return nil
}

// Kill sends a signal (default SIGKILL) to the container's init.
func (e *Engine) Kill(ctx context.Context, ref, signal string) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	sig := unix.SIGKILL
	if signal != "" {
		if sig, err = ParseSignal(signal); err != nil {
			return err
		}
	}
	if !c.State.Running {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot kill container %s: container is not running", c.Name[1:]))
	}
	if sig == unix.SIGKILL || sig == unix.SIGTERM {
		// A kill is a stop the user asked for: no restart.
		_ = os.WriteFile(filepath.Join(e.containerDir(c.ID), "stopped"), nil, 0o600)
	}
	if err := e.signal(c.ID, sig); err != nil {
		return err
	}
	e.emit("kill", c, map[string]string{"signal": strconv.Itoa(int(sig))})
	return nil
}

// Restart stops (if running) and starts the container.
func (e *Engine) Restart(ctx context.Context, ref string, timeout *time.Duration) error {
	if err := e.Stop(ctx, ref, timeout); err != nil {
		return err
	}
	if err := e.Start(ctx, ref, StartOptions{}); err != nil {
		return err
	}
	c, err := e.Inspect(ctx, ref)
	if err == nil {
		e.emit("restart", c, nil)
	}
	return err
}

// Pause freezes every process of the container (cgroup freezer).
func (e *Engine) Pause(ctx context.Context, ref string) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if !c.State.Running || c.State.Restarting {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not running", c.Name[1:]))
	}
	if c.State.Paused {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is already paused", c.Name[1:]))
	}
	lc, err := runner.Load(e.stateRoot(), c.ID)
	if err != nil {
		return err
	}
	if err := lc.Pause(); err != nil {
		return fmt.Errorf("pause %s: %w", c.Name[1:], err)
	}
	if err := os.WriteFile(filepath.Join(e.containerDir(c.ID), "paused"), nil, 0o600); err != nil {
		return err
	}
	e.emit("pause", c, nil)
	return nil
}

// Unpause thaws a paused container.
func (e *Engine) Unpause(ctx context.Context, ref string) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if !c.State.Paused {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not paused", c.Name[1:]))
	}
	if err := e.resume(c.ID); err != nil {
		return err
	}
	e.emit("unpause", c, nil)
	return nil
}

func (e *Engine) resume(id string) error {
	lc, err := runner.Load(e.stateRoot(), id)
	if err != nil {
		return err
	}
	if err := lc.Resume(); err != nil {
		return fmt.Errorf("unpause %s: %w", id[:12], err)
	}
	return os.Remove(filepath.Join(e.containerDir(id), "paused"))
}

// Wait blocks until the container is not running and returns its exit code. A
// container that was never started is waited for until it starts and exits.
func (e *Engine) Wait(ctx context.Context, ref string) (int, error) {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return -1, err
	}
	sawRun := c.State.Running
	for {
		st, err := e.runtimeState(c.ID)
		if err != nil {
			return -1, err
		}
		if st.Alive() {
			sawRun = true
			waitMonitor(ctx, st, time.Hour)
		} else if sawRun || st.Status == "exited" {
			return st.ExitCode, nil
		} else {
			time.Sleep(25 * time.Millisecond) // never started: wait for a start
		}
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
	}
}

// Rename gives a container a new name.
func (e *Engine) Rename(ctx context.Context, ref, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	row, err := e.db.Get(ctx, ref)
	if err != nil {
		return err
	}
	if err := e.db.Rename(ctx, row.ID, name, row.Data); err != nil {
		return err
	}
	c, err := e.Inspect(ctx, row.ID)
	if err != nil {
		return err
	}
	e.emit("rename", c, map[string]string{"oldName": "/" + row.Name})
	return nil
}
