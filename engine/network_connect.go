package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
)

// Connect joins a container to one more network: at once if it runs (a
// "network connect" event), at its next start otherwise. Names on the network resolve the container at once;
// the container itself resolves the new network's names after a restart.
func (e *Engine) Connect(ctx context.Context, netRef, ref string, want EndpointSettings) error {
	c, rec, unlock, err := e.lockedRecord(ctx, ref)
	if err != nil {
		return err
	}
	defer unlock()
	if m := c.HostConfig.NetworkMode; m == modeHost || m == modeNone || strings.HasPrefix(m, "container:") {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("container %s uses the %s network mode and cannot join networks", c.Name[1:], m))
	}
	if netRef == modeBridge {
		if _, err := e.nets.EnsureDefault(ctx); err != nil {
			return err
		}
	}
	n, err := e.nets.Get(ctx, netRef)
	if err != nil {
		return err
	}
	if err := n.Connectable(); err != nil {
		return err
	}
	if _, ok := rec.Networks[n.Name]; ok {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is already connected to network %s", c.Name[1:], n.Name))
	}
	if rec.Networks == nil {
		rec.Networks = map[string]*EndpointSettings{}
	}
	want.IPAMConfig = ipamConfig(want.IPAddress)
	rec.Networks[n.Name] = &want
	setAsked(rec, n.Name, &want)
	if c.State.Running && rec.NetNS != "" {
		if _, err := e.connectOne(ctx, c, rec, n.Name, rec.NetNS, false, nil); err != nil {
			return err
		}
		if err := e.updateNames(ctx, n.ID); err != nil {
			return err
		}
	}
	e.at("connect.joined")
	if err := e.saveRecord(ctx, c.ID, rec); err != nil {
		return err
	}
	if c.State.Running {
		e.setMonitorNetworks(c.ID, e.networkRefs(ctx, networkOrder(c.HostConfig.NetworkMode, rec.Networks)))
		// A container that does not run joins at its next start, whose
		// monitor records the connect (dockerd records none before).
		e.emitNetwork("connect", n, c.ID)
	}
	return nil
}

// Disconnect takes a container off a network.
func (e *Engine) Disconnect(ctx context.Context, netRef, ref string) error {
	c, rec, unlock, err := e.lockedRecord(ctx, ref)
	if err != nil {
		return err
	}
	defer unlock()
	n, err := e.nets.Get(ctx, netRef)
	if err != nil {
		return err
	}
	if _, ok := rec.Networks[n.Name]; !ok {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("container %s is not connected to network %s", c.Name[1:], n.Name))
	}
	if c.State.Running {
		if err := e.nets.Disconnect(ctx, n.Name, c.ID); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
	}
	e.at("disconnect.detached")
	delete(rec.Networks, n.Name)
	delete(rec.Asked, n.Name)
	if err := e.updateNames(ctx, n.ID); err != nil {
		return err
	}
	if err := e.saveRecord(ctx, c.ID, rec); err != nil {
		return err
	}
	if c.State.Running {
		e.setMonitorNetworks(c.ID, e.networkRefs(ctx, networkOrder(c.HostConfig.NetworkMode, rec.Networks)))
	}
	e.emitNetwork("disconnect", n, c.ID)
	return nil
}

// lockedRecord loads a container and its record under the container's lock.
func (e *Engine) lockedRecord(ctx context.Context, ref string) (*Container, *record, func(), error) {
	row, err := e.db.Get(ctx, ref)
	if err != nil {
		return nil, nil, nil, err
	}
	unlock, err := e.lock(row.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := e.load(row)
	if err != nil {
		unlock()
		return nil, nil, nil, err
	}
	var rec record
	if err := json.Unmarshal(row.Data, &rec); err != nil {
		unlock()
		return nil, nil, nil, fmt.Errorf("container %s: %w", row.ID, err)
	}
	return c, &rec, unlock, nil
}
