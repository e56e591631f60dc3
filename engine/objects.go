package engine

import (
	"context"
	"strconv"

	"berth/engine/events"
	"berth/netmgr"
	"berth/volumes"
)

// CreateNetwork makes a network and records a "network create" event, so
// that a TUI elsewhere shows it at once.
func (e *Engine) CreateNetwork(ctx context.Context, o netmgr.CreateOptions) (*netmgr.Network, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	n, err := e.nets.Create(ctx, o)
	if err == nil {
		e.emitNetwork("create", n, "")
	}
	return n, err
}

// RemoveNetwork removes a network ("network destroy" event).
func (e *Engine) RemoveNetwork(ctx context.Context, ref string) error {
	n, err := e.nets.Get(ctx, ref)
	if err != nil {
		return err
	}
	if err := e.nets.Remove(ctx, ref); err != nil {
		return err
	}
	e.emitNetwork("destroy", n, "")
	return nil
}

// PruneNetworks removes unused user-defined networks ("network prune" event).
func (e *Engine) PruneNetworks(ctx context.Context) ([]string, error) {
	names, err := e.nets.Prune(ctx)
	if len(names) > 0 {
		_ = e.events.Append(events.Event{Type: "network", Action: "prune", Attributes: map[string]string{"count": strconv.Itoa(len(names))}})
	}
	return names, err
}

// CreateVolume makes (or returns) a volume ("volume create" event).
func (e *Engine) CreateVolume(ctx context.Context, name string, labels map[string]string) (*volumes.Volume, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	v, err := e.vols.Create(ctx, name, labels)
	if err == nil {
		e.emitVolume("create", v.Name)
	}
	return v, err
}

// RemoveVolume removes a volume that no container uses ("volume destroy" event).
func (e *Engine) RemoveVolume(ctx context.Context, name string, force bool) error {
	if err := e.vols.Remove(ctx, name, force); err != nil {
		return err
	}
	e.emitVolume("destroy", name)
	return nil
}

// PruneVolumes removes unused volumes ("volume prune" event).
func (e *Engine) PruneVolumes(ctx context.Context, all bool) ([]string, uint64, error) {
	names, n, err := e.vols.Prune(ctx, all)
	for _, name := range names {
		e.emitVolume("destroy", name)
	}
	return names, n, err
}

func (e *Engine) emitVolume(action, name string) {
	_ = e.events.Append(events.Event{Type: "volume", Action: action, ID: name, Attributes: map[string]string{"driver": "local"}})
}
