package engine

import (
	"context"
	"time"

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

// releaseOnceEnded waits (up to endWait) for container id's monitor to be
// gone and releases its endpoints, unless another process is at it, it is
// being restarted, or it is no more (--rm).
func (e *Engine) releaseOnceEnded(ctx context.Context, id string) {
	wctx, cancel := context.WithTimeout(ctx, endWait)
	defer cancel()
	if e.awaitEnded(wctx, id) {
		_ = e.tryRelease(context.WithoutCancel(ctx), id)
	}
}
