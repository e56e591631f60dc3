package engine

import (
	"context"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/events"
)

// WatchEnds has a long-lived berth process (berth serve) release the
// network endpoints of each container that ends on its own, as soon as its
// monitor is gone after recording the die event: its address goes back to
// the pool and its DNS names leave at once, rather than at the next berth
// operation that looks. A container its restart policy starts again keeps
// them. It returns when ctx ends.
func (e *Engine) WatchEnds(ctx context.Context) {
	evs, errs := e.Subscribe(ctx, events.Filter{Types: []string{"container"}, Actions: []string{"die"}})
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-errs:
			if !ok {
				errs = nil
			}
		case ev, ok := <-evs:
			if !ok {
				return
			}
			go e.releaseOnceEnded(ctx, ev.ID)
		}
	}
}

// endWait bounds how long WatchEnds waits, after a die event, for the
// container's monitor to finish (its network events, its removal when --rm).
const endWait = 10 * time.Second

// releaseOnceEnded waits for container id's monitor to be gone and
// releases its endpoints, unless another process is at it or it is
// being restarted.
func (e *Engine) releaseOnceEnded(ctx context.Context, id string) {
	deadline := time.Now().Add(endWait)
	for !e.looksEnded(id) {
		if time.Now().After(deadline) || ctx.Err() != nil || e.gone(ctx, id) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	_ = e.tryRelease(context.WithoutCancel(ctx), id)
}

// gone reports whether container id's record is no more (a --rm container
// its monitor removed): there is nothing left to release.
func (e *Engine) gone(ctx context.Context, id string) bool {
	_, err := e.db.Get(ctx, id)
	return errdefs.IsNotFound(err)
}
