package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/containerd/errdefs"

	"berth/netmgr"
)

// releaseStopped frees the endpoints that containers which do not run hold
// on network n (their veth and address), as dockerd holds none for a
// stopped container, so that the network can be removed. The container's
// record keeps the network: its next start connects it again, or fails
// naming the network if it is gone. A running (or restarting) member makes
// the network in use (ErrConflict, dockerd's text). Each container is
// handled under its lock; a SIGKILL between two leaves stopped containers
// without an endpoint, which their next start makes again.
func (e *Engine) releaseStopped(ctx context.Context, n *netmgr.Network) error {
	members, err := e.nets.Members(ctx, n.ID)
	if err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	for _, ep := range members {
		if err := e.releaseIfStopped(ctx, n, ep.ContainerID); err != nil {
			return err
		}
	}
	return nil
}

// releaseIfStopped frees container id's endpoint on n unless it runs.
func (e *Engine) releaseIfStopped(ctx context.Context, n *netmgr.Network, id string) error {
	inUse := errdefs.ErrConflict.WithMessage(fmt.Sprintf("error while removing network: network %s id %s has active endpoints", n.Name, n.ID))
	row, unlock, err := e.lockRow(ctx, id)
	if errdefs.IsNotFound(err) {
		return inUse // a container being created or removed: not ours to free
	} else if err != nil {
		return err
	}
	defer unlock()
	c, st, err := e.loadLocked(row)
	if err != nil {
		return err
	}
	if c.State.Running || c.State.Restarting {
		return inUse
	}
	// An exited container's monitor may still be finishing (it restarts it
	// no more, see startLocked); it ends shortly.
	if st.Alive() && !waitMonitor(ctx, st, 30*time.Second) {
		return inUse
	}
	if err := e.nets.Disconnect(ctx, n.ID, id); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("release the endpoint of container %s on network %s: %w", c.Name[1:], n.Name, err)
	}
	e.at("net.rm.released")
	return e.updateNames(ctx, n.ID)
}
