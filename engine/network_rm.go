package engine

import (
	"context"
	"fmt"

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
	if err := e.sweepNetwork(ctx, n, ""); err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	members, err := e.nets.Members(ctx, n.ID)
	if err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	if len(members) > 0 {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("error while removing network: network %s id %s has active endpoints", n.Name, n.ID))
	}
	return nil
}
