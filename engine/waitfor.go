package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/events"
	"berth/engine/monitor"
)

// WaitCondition is what WaitFor waits for: Docker's wait conditions.
type WaitCondition string

// The conditions of WaitFor.
const (
	// WaitNotRunning returns at once for a container that does not run,
	// else when it exits (docker wait).
	WaitNotRunning WaitCondition = "not-running"
	// WaitNextExit returns when the container next exits, whether it runs
	// now or is started later (docker run waits so before it starts).
	WaitNextExit WaitCondition = "next-exit"
	// WaitRemoved returns when the container is removed (docker run --rm).
	WaitRemoved WaitCondition = "removed"
)

// ParseWaitCondition reads a condition's name; empty is WaitNotRunning.
func ParseWaitCondition(s string) (WaitCondition, error) {
	switch c := WaitCondition(s); c {
	case "":
		return WaitNotRunning, nil
	case WaitNotRunning, WaitNextExit, WaitRemoved:
		return c, nil
	}
	return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid wait condition %q: want not-running, next-exit or removed", s))
}

// WaitFor blocks until cond holds for the container and returns the exit
// code of its last run, as Docker's wait does. It follows the container's
// die and destroy events, subscribed to before the state is read, so that
// an exit between the two is not missed, and wakes early on changes in the
// container's directory (inotify), where the monitor writes its state. A
// container removed while waited for ends every wait with the exit code last
// seen. Waiting for the removal of an --rm container takes the removal over
// from its monitor (see autoremove.go): the container is removed here as
// soon as it has ended.
func (e *Engine) WaitFor(ctx context.Context, ref string, cond WaitCondition) (int, error) {
	cond, err := ParseWaitCondition(string(cond))
	if err != nil {
		return -1, err
	}
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return -1, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &waiter{e: e, id: c.ID, cond: cond}
	w.evs, w.errs = e.Subscribe(ctx, events.Filter{Types: []string{"container"}, Containers: []string{c.ID},
		Actions: []string{"die", "destroy"}})
	// Only the state and the monitor's word that it ended wake the wait.
	w.wake, _ = watchDir(ctx, e.containerDir(c.ID), filepath.Base(e.statePath(c.ID)),
		filepath.Base(monitor.EndedPath(e.removeClaim(c.ID, true)))) // nil on failure: the events alone then
	// Taking the removal over needs the wake-ups: the monitor's word that
	// it ended is a file, not an event.
	if cond == WaitRemoved && c.HostConfig.AutoRemove && w.wake != nil {
		w.rm = e.holdRemoval(c.ID)
		defer w.rm.release()
	}
	if st, err := monitor.ReadState(e.statePath(c.ID)); err == nil {
		w.finished = st.FinishedAt
	}
	now, err := e.Inspect(ctx, c.ID)
	switch {
	case errdefs.IsNotFound(err):
		return c.State.ExitCode, nil // removed meanwhile
	case err != nil:
		return -1, err
	}
	w.code = now.State.ExitCode
	if cond == WaitNotRunning && !now.State.Running {
		return w.code, nil
	}
	return w.run(ctx)
}

// waiter is one WaitFor past its start.
type waiter struct {
	e        *Engine
	id       string
	cond     WaitCondition
	evs      <-chan events.Event
	errs     <-chan error
	wake     <-chan struct{} // the container's directory changed
	rm       *autoRemover    // the hold on an --rm container's removal, or nil
	finished time.Time       // the state's FinishedAt when the wait began
	code     int             // the exit code last seen
}

// run waits for the condition; every wake-up looks at the state again.
func (w *waiter) run(ctx context.Context) (int, error) {
	for {
		if code, done, err := w.check(ctx); done {
			return code, err
		}
		select {
		case ev, ok := <-w.evs:
			if !ok {
				return -1, waitEnded(ctx, w.errs)
			}
			if ev.Action == "destroy" {
				return w.code, nil
			}
			if n, err := strconv.Atoi(ev.Attributes["exitCode"]); err == nil {
				w.code = n
			}
			if w.cond != WaitRemoved {
				return w.code, nil
			}
		case <-w.wake:
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}
}

// check looks at the container's state: an exit since the wait began ends a
// wait for an exit; the end of an --rm container whose removal this waiter
// holds has it removed here.
func (w *waiter) check(ctx context.Context) (int, bool, error) {
	if w.rm.held() {
		if !w.rm.ended() {
			return 0, false, nil
		}
		code, done, err := w.rm.remove(context.WithoutCancel(ctx))
		if done {
			return code, true, err
		}
		return 0, false, nil // someone else removes it: its destroy event ends the wait
	}
	if w.cond == WaitRemoved {
		return 0, false, nil
	}
	st, err := monitor.ReadState(w.e.statePath(w.id))
	if err != nil || !st.FinishedAt.After(w.finished) {
		return 0, false, nil
	}
	switch st.Status {
	case monitor.StatusExited, monitor.StatusRestarting, monitor.StatusDead:
		return st.ExitCode, true, nil
	}
	return 0, false, nil // a new run's state (a fresh monitor starts without FinishedAt)
}

// waitEnded says why an event stream ended before the wait did.
func waitEnded(ctx context.Context, errs <-chan error) error {
	for err := range errs {
		if err != nil {
			return fmt.Errorf("wait: follow events: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("wait: the event stream ended")
}

// StopOptions tune Stop and Restart.
type StopOptions struct {
	// Signal is sent instead of the container's stop signal when not empty.
	Signal string
	// Timeout is how long to wait before SIGKILL (nil: the container's
	// --stop-timeout or 10 s; negative: no limit).
	Timeout *time.Duration
}
