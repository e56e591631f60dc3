package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/monitor"
	"berth/engine/runner"
	"berth/engine/store"
)

// DefaultStopTimeout is how long stop waits after the stop signal before SIGKILL.
const DefaultStopTimeout = 10 * time.Second

// Stop sends o's stop signal (empty: the container's own, SIGTERM unless
// set), waits up to o's timeout (nil: the container's --stop-timeout or
// 10 s) and then kills it. Stopping a container that does not run does
// nothing. The restart policy does not bring a stopped container back; a
// container between two runs of its restart policy is stopped by cancelling
// the next run.
func (e *Engine) Stop(ctx context.Context, ref string, o StopOptions) error {
	timeout := o.Timeout
	if o.Signal != "" {
		if _, err := ParseSignal(o.Signal); err != nil {
			return err
		}
	}
	row, unlock, err := e.lockRow(ctx, ref)
	if err != nil {
		return err
	}
	c, st, err := e.loadLocked(row)
	if err == nil {
		err = e.markStopped(c)
	}
	if err != nil || !c.State.Running {
		unlock()
		return err
	}
	e.at("stop.marked")
	sig, err := stopSignal(c)
	if o.Signal != "" {
		sig, err = ParseSignal(o.Signal)
	}
	if err == nil && !c.State.Restarting {
		err = e.sendSignal(c, sig)
	}
	unlock()
	e.at("stop.signalled")
	if err != nil {
		return err
	}
	d := DefaultStopTimeout
	if c.Config.StopTimeout != nil {
		d = time.Duration(*c.Config.StopTimeout) * time.Second
	}
	if timeout != nil {
		d = *timeout
	}
	if d < 0 {
		d = 100 * 365 * 24 * time.Hour // no limit, as Docker's -1
	}
	if !waitMonitor(ctx, st, d) {
		if err := e.Kill(ctx, c.ID, "KILL"); err != nil && !errdefs.IsConflict(err) {
			return err
		}
		if !waitMonitor(ctx, st, 30*time.Second) {
			return fmt.Errorf("container %s did not stop after SIGKILL", c.Name[1:])
		}
	}
	// As dockerd, the stopped container holds no network endpoint (its
	// monitor recorded the disconnect events at the exit).
	if err := e.releaseIfEnded(ctx, c.ID); err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	e.emit("stop", c, nil)
	return nil
}

// loadLocked loads a container whose lock the caller holds, repairing its
// state first if its monitor died.
func (e *Engine) loadLocked(row store.Row) (*Container, *monitor.State, error) {
	st, err := e.settle(row.ID)
	if err != nil {
		return nil, nil, err
	}
	c, err := e.load(row)
	return c, st, err
}

// markStopped records that the user stopped the container: its monitor
// restarts it no more.
func (e *Engine) markStopped(c *Container) error {
	if err := os.WriteFile(filepath.Join(e.containerDir(c.ID), "stopped"), nil, 0o600); err != nil {
		return fmt.Errorf("stop %s: %w", c.Name[1:], err)
	}
	return nil
}

func stopSignal(c *Container) (unix.Signal, error) {
	if c.Config.StopSignal == "" {
		return unix.SIGTERM, nil
	}
	return ParseSignal(c.Config.StopSignal)
}

// sendSignal signals the container's init and records the kill event; a
// paused container is thawed so that the signal arrives. A container whose
// init is gone (it exited meanwhile) is left to its monitor.
func (e *Engine) sendSignal(c *Container, sig unix.Signal) error {
	err := e.signal(c.ID, sig)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	e.emit("kill", c, map[string]string{"signal": strconv.Itoa(int(sig))})
	if c.State.Paused && (sig == unix.SIGKILL || sig == unix.SIGTERM) {
		_ = e.resume(c.ID)
	}
	return nil
}

// signal signals the init of container id; a container whose init is gone
// (or exited and awaits its monitor) is errdefs.ErrNotFound.
func (e *Engine) signal(id string, sig unix.Signal) error {
	c, err := runner.Load(e.stateRoot(), id)
	if err != nil {
		return err
	}
	if err := c.Signal(sig); err != nil {
		if st, serr := c.Status(); serr == nil && st.String() == "stopped" {
			return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("container %s is not running", id[:12]))
		}
		return fmt.Errorf("signal %s: %w", id[:12], err)
	}
	return nil
}

// Kill sends a signal (default SIGKILL) to the container's init. SIGKILL and
// the container's stop signal also end its restart policy until the next
// start; such a signal given to a container between two runs of its restart
// policy cancels the next run (there is no process to signal). Any other
// signal needs a running process.
func (e *Engine) Kill(ctx context.Context, ref, signal string) error {
	sig := unix.SIGKILL
	if signal != "" {
		var err error
		if sig, err = ParseSignal(signal); err != nil {
			return err
		}
	}
	row, unlock, err := e.lockRow(ctx, ref)
	if err != nil {
		return err
	}
	c, st, err := e.loadLocked(row)
	if err != nil {
		unlock()
		return err
	}
	err = e.kill(c, sig)
	unlock()
	if err == nil && c.State.Restarting {
		// Done once the monitor has seen the cancellation and ended.
		waitMonitor(ctx, st, 30*time.Second)
	}
	if err == nil && sig == unix.SIGKILL && !c.HostConfig.AutoRemove && waitMonitor(ctx, st, 30*time.Second) {
		// A killed container ends at once: it holds no endpoint after (an
		// --rm one's removal frees everything).
		err = e.releaseIfEnded(ctx, c.ID)
		if errdefs.IsNotFound(err) {
			err = nil
		}
	}
	return err
}

// kill is Kill under the container's lock.
func (e *Engine) kill(c *Container, sig unix.Signal) error {
	if !c.State.Running {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot kill container %s: container is not running", c.Name[1:]))
	}
	stopSig, _ := stopSignal(c)
	fatal := sig == unix.SIGKILL || sig == unix.SIGTERM || sig == stopSig
	if !fatal && c.State.Restarting {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot kill container %s: it is restarting, wait until the container is running", c.Name[1:]))
	}
	if fatal {
		if err := e.markStopped(c); err != nil {
			return err
		}
	}
	if c.State.Restarting {
		e.emit("kill", c, map[string]string{"signal": strconv.Itoa(int(sig))})
		return nil
	}
	err := e.signal(c.ID, sig)
	if errdefs.IsNotFound(err) {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot kill container %s: container is not running", c.Name[1:]))
	}
	if err != nil {
		return err
	}
	e.emit("kill", c, map[string]string{"signal": strconv.Itoa(int(sig))})
	if fatal && c.State.Paused {
		_ = e.resume(c.ID) // a frozen process takes no signal
	}
	return nil
}

// Restart stops the container (if running, as Stop does with o) and starts it.
func (e *Engine) Restart(ctx context.Context, ref string, o StopOptions) error {
	if err := e.Stop(ctx, ref, o); err != nil {
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
	row, unlock, err := e.lockRow(ctx, ref)
	if err != nil {
		return err
	}
	defer unlock()
	c, _, err := e.loadLocked(row)
	if err != nil {
		return err
	}
	if c.State.Restarting {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is restarting, wait until the container is running", c.Name[1:]))
	}
	if !c.State.Running {
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
	row, unlock, err := e.lockRow(ctx, ref)
	if err != nil {
		return err
	}
	defer unlock()
	c, _, err := e.loadLocked(row)
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
			// The waiter learns of the end: the container's endpoints go
			// now rather than at the next berth process (unless an
			// operation on it is at them; one that fails is left to the
			// next process, whose recovery says why).
			_ = e.tryRelease(context.WithoutCancel(ctx), c.ID)
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
	row, err := e.db.Get(ctx, ref) // a missing container is told first, as by Docker
	if err != nil {
		return err
	}
	if strings.TrimPrefix(name, "/") == row.Name {
		return errdefs.ErrInvalidArgument.WithMessage("Renaming a container with the same name as its current name") // dockerd's words
	}
	if err := ValidateName(name); err != nil {
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
