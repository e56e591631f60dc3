package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/containerd/errdefs"

	"berth/netmgr"
)

// releaseEnded makes network n free of members that do not run, so that it
// can be removed: a container that has stopped holds no endpoint (see
// netrelease.go), but one that ended since this engine opened, with no berth
// process around, may not have been released yet. Its record keeps the
// network: its next start fails naming the network. A member that runs, or
// that an operation holds, makes the network in use (ErrConflict, dockerd's
// text).
func (e *Engine) releaseEnded(ctx context.Context, n *netmgr.Network) error {
	members, err := e.nets.Members(ctx, n.ID)
	if err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	for _, ep := range members {
		if err := e.releaseExited(ctx, ep.ContainerID); err != nil {
			return fmt.Errorf("network %s: %w", n.Name, err)
		}
	}
	if members, err = e.nets.Members(ctx, n.ID); err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	if len(members) > 0 {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("error while removing network: network %s id %s has active endpoints", n.Name, n.ID))
	}
	return nil
}

// settleWait bounds how long network rm waits for a member that has exited
// to be released: its monitor finishing after its client's wait answered,
// or another process (serve's end watcher) releasing it at that moment.
const settleWait = 3 * time.Second

// releaseExited releases container id's endpoints if its state says it has
// exited, first waiting (up to settleWait) for its monitor to be gone and
// for its lock. A member that runs, restarts or stays held is left as it is.
func (e *Engine) releaseExited(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, settleWait)
	defer cancel()
	if !e.awaitEnded(ctx, id) {
		return nil
	}
	err := e.releaseIfEnded(ctx, id)
	if errdefs.IsNotFound(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil // removed meanwhile, or held past the bound: in use
	}
	return err
}
