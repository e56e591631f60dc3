package engine

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/events"
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
// an exit between the two is not missed. A container removed while waited
// for ends every wait with the exit code last seen.
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
	evs, errs := e.Subscribe(ctx, events.Filter{Types: []string{"container"}, Containers: []string{c.ID},
		Actions: []string{"die", "destroy"}})
	code := c.State.ExitCode
	now, err := e.Inspect(ctx, c.ID)
	switch {
	case errdefs.IsNotFound(err):
		return code, nil // removed meanwhile
	case err != nil:
		return -1, err
	}
	code = now.State.ExitCode
	if cond == WaitNotRunning && !now.State.Running {
		return code, nil
	}
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				return -1, waitEnded(ctx, errs)
			}
			if ev.Action == "destroy" {
				return code, nil
			}
			if n, err := strconv.Atoi(ev.Attributes["exitCode"]); err == nil {
				code = n
			}
			if cond != WaitRemoved {
				return code, nil
			}
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}
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

// StopOptions tune StopWith and RestartWith.
type StopOptions struct {
	// Signal is sent instead of the container's stop signal when not empty.
	Signal string
	// Timeout is how long to wait before SIGKILL (nil: the container's
	// --stop-timeout or 10 s; negative: no limit).
	Timeout *time.Duration
}
