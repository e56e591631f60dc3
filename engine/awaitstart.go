package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/monitor"
)

// AwaitStart records, until release is called, that a client waits to
// attach to container ref once it starts (`docker run` and `docker start
// -a` attach first, then start): every Start of the container meanwhile,
// made by any process on the root, holds its process for an attaching
// client (StartOptions.WaitAttach), so that the client misses none of its
// output. started is closed once the container takes attaching clients
// (its monitor holds the process for one, or the process runs) or has run
// since the call. The record is a shared lock on a file in the container's
// directory: it goes with the process that holds it, killed or not.
func (e *Engine) AwaitStart(ctx context.Context, ref string) (started <-chan struct{}, release func(), err error) {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(e.attachWaitersPath(c.ID), os.O_RDONLY|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("await the start of %s: %w", c.Name[1:], err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("await the start of %s: %w", c.Name[1:], err)
	}
	before := e.startedAt(c.ID)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ch := make(chan struct{})
	go func() {
		if e.pollStarted(ctx, c.ID, before) {
			close(ch)
		}
	}()
	release = func() {
		cancel()
		f.Close() // drops the lock
	}
	return ch, release, nil
}

// attachWaitersPath is the file whose shared locks are the clients waiting
// to attach to a container's next start.
func (e *Engine) attachWaitersPath(id string) string {
	return filepath.Join(e.containerDir(id), "attach-waiters")
}

// attachWaiting reports whether a client, in any process, waits to attach
// to the container's next start (holds a shared lock of AwaitStart's).
func (e *Engine) attachWaiting(id string) bool {
	f, err := os.Open(e.attachWaitersPath(id))
	if err != nil {
		return false
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if err == nil {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	}
	return errors.Is(err, unix.EWOULDBLOCK)
}

// startedAt is when the container's process last started, as its state
// file says (zero when it never did).
func (e *Engine) startedAt(id string) time.Time {
	st, err := monitor.ReadState(e.statePath(id))
	if err != nil {
		return time.Time{}
	}
	return st.StartedAt
}

// pollStarted waits until the container takes attaching clients or has
// started since before; it reports false when ctx ends first. It reads the
// state file its monitor writes, every 5 ms for the first two seconds
// (a start follows an attach at once), then every 50 ms.
func (e *Engine) pollStarted(ctx context.Context, id string, before time.Time) bool {
	for begun := time.Now(); ; {
		if st, err := monitor.ReadState(e.statePath(id)); err == nil {
			held := st.Alive() && (st.Status == monitor.StatusCreated || st.Status == monitor.StatusRunning)
			if held || st.StartedAt.After(before) {
				return true
			}
		}
		wait := 5 * time.Millisecond
		if time.Since(begun) > 2*time.Second {
			wait = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}
