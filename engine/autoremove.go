package engine

import (
	"context"
	"os"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/monitor"
)

// takeoverWait bounds how long a waiter tries for the lock of an --rm
// container that ended before it leaves the removal to the monitor.
const takeoverWait = 2 * time.Second

// autoRemover is a waiter's hold on the removal of an --rm container: while
// it holds the claim (see monitor/autoremove.go), the container's monitor
// leaves the removal to it, and it removes the container in this process as
// soon as the container has ended — no `berth rm` process, no engine to open.
type autoRemover struct {
	e     *Engine
	id    string
	claim string
	hold  *os.File // nil once let go
}

// holdRemoval takes the waiter's hold on the removal of container id, an
// --rm container; nil when the monitor has already decided.
func (e *Engine) holdRemoval(id string) *autoRemover {
	claim := e.removeClaim(id, true)
	f, ok := monitor.HoldRemoval(claim)
	if !ok {
		return nil
	}
	return &autoRemover{e: e, id: id, claim: claim, hold: f}
}

// release lets go of the hold: the monitor decides alone.
func (a *autoRemover) release() {
	if a != nil && a.hold != nil {
		a.hold.Close()
		a.hold = nil
	}
}

// held reports whether the hold is still there.
func (a *autoRemover) held() bool { return a != nil && a.hold != nil }

// ended reports whether the container has ended for good: its monitor said
// so, or it exited and its monitor is gone (killed before it could say so).
func (a *autoRemover) ended() bool {
	if _, err := os.Stat(monitor.EndedPath(a.claim)); err == nil {
		return true
	}
	st, err := monitor.ReadState(a.e.statePath(a.id))
	if err != nil {
		return false
	}
	return (st.Status == monitor.StatusExited || st.Status == monitor.StatusDead) && !st.Alive()
}

// remove removes the ended container, unless someone else is at it (then the
// hold is let go and done is false: the waiter follows the events). It
// returns the exit code of the container's last run.
func (a *autoRemover) remove(ctx context.Context) (code int, done bool, err error) {
	defer a.release() // let go on every early return: the monitor decides then
	e := a.e
	unlock, ok := a.lock(ctx)
	if !ok {
		return 0, false, nil
	}
	defer unlock()
	row, err := e.db.Get(ctx, a.id)
	if errdefs.IsNotFound(err) {
		return 0, false, nil
	}
	if err != nil {
		return -1, true, err
	}
	c, _, rec, err := e.removalTarget(row)
	if err != nil {
		return -1, true, err
	}
	// The record is marked before the monitor is told. A kill before the
	// owner file is written lets the monitor remove the container (its
	// berth rm completes the marked removal); a kill after it leaves the
	// marked record to the next engine that opens.
	if rec.Removal == nil {
		rec.Removal = &removal{Volumes: true}
		if err := e.saveRecord(ctx, a.id, rec); err != nil {
			return -1, true, err
		}
		e.at("autorm.marked")
	}
	if err := monitor.OwnRemoval(a.claim); err != nil {
		return -1, true, err
	}
	a.release() // the monitor may end now: the removal below waits for it
	e.at("autorm.owned")
	if row, err = e.db.Get(ctx, a.id); err != nil {
		return -1, true, err
	}
	return c.State.ExitCode, true, e.removeLocked(ctx, row, RemoveOptions{Force: true, Volumes: true, ended: true})
}

// lock takes the container's lock for the removal, waiting a little for a
// holder that is not removing it (a stop that saw it exit). It gives up when
// the container is gone or someone else marked it for removal: they may be
// waiting for the monitor, which waits for this hold.
func (a *autoRemover) lock(ctx context.Context) (func(), bool) {
	deadline := time.Now().Add(takeoverWait)
	for {
		if unlock, ok := a.e.tryLock(a.id); ok {
			return unlock, true
		}
		row, err := a.e.db.Get(ctx, a.id)
		if err != nil {
			return nil, false
		}
		if rec, err := decodeRecord(row.Data); err != nil || rec.Removal != nil {
			return nil, false
		}
		if time.Now().After(deadline) {
			return nil, false
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(lockPoll):
		}
	}
}
