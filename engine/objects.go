package engine

import (
	"context"

	"github.com/containerd/errdefs"

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

// RemoveNetwork removes a network ("network destroy" event). Containers
// that do not run may be attached to it, as with dockerd (they hold no
// endpoint on it): their next start fails naming the network.
func (e *Engine) RemoveNetwork(ctx context.Context, ref string) error {
	n, err := e.nets.Get(ctx, ref)
	if err != nil {
		return err
	}
	if !netmgr.Predefined(n.Name) {
		if err := e.releaseEnded(ctx, n); err != nil {
			return err
		}
	}
	if err := e.nets.Remove(ctx, ref); err != nil {
		return err
	}
	e.emitNetwork("destroy", n, "")
	return nil
}

// CreateVolume makes (or returns) a volume ("volume create" event).
func (e *Engine) CreateVolume(ctx context.Context, o VolumeCreateOptions) (*volumes.Volume, error) {
	if err := CheckVolumeDriver(o.Name, o.Driver, o.Options); err != nil {
		return nil, err
	}
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	v, err := e.vols.Create(ctx, o.Name, o.Labels, o.Options)
	if err == nil {
		e.emitVolume("create", v.Name)
	}
	return v, err
}

// RemoveVolume removes a volume that no container uses ("volume destroy"
// event); forced, one that does not exist is no error.
func (e *Engine) RemoveVolume(ctx context.Context, name string, force bool) error {
	if err := e.vols.Remove(ctx, name, force); err != nil {
		if force && errdefs.IsNotFound(err) {
			return nil // forced, a volume that is not there is no error, as in Docker
		}
		return err
	}
	e.emitVolume("destroy", name)
	return nil
}

func (e *Engine) emitVolume(action, name string) {
	_ = e.events.Append(events.Event{Type: "volume", Action: action, ID: name, Attributes: map[string]string{"driver": "local"}})
}

// InspectNetwork returns the network that ref names (ID, unique ID prefix or
// name) and the endpoints of the containers attached to it.
func (e *Engine) InspectNetwork(ctx context.Context, ref string) (*netmgr.Network, []netmgr.Endpoint, error) {
	if netmgr.Predefined(ref) { // host and none date from the default bridge
		if _, err := e.nets.EnsureDefault(ctx); err != nil {
			return nil, nil, err
		}
	}
	n, err := e.nets.Get(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	members, err := e.liveMembers(ctx, n.ID)
	if err != nil {
		return nil, nil, err
	}
	return n, members, nil
}

// RemoveAllNetworks removes every network and what it made in the kernel
// (system reset), recording a "network destroy" event for each.
func (e *Engine) RemoveAllNetworks(ctx context.Context) error {
	ns, err := e.nets.List(ctx)
	if err != nil {
		return err
	}
	if err := e.nets.RemoveAll(ctx); err != nil {
		return err
	}
	for i := range ns {
		if ns[i].Driver == "bridge" { // host and none are not made nor removed
			e.emitNetwork("destroy", &ns[i], "")
		}
	}
	return nil
}

// ListVolumes returns the volumes that pass filters (Docker's volume ls
// filters; nil: all).
func (e *Engine) ListVolumes(ctx context.Context, filters map[string][]string) ([]volumes.Volume, error) {
	return e.vols.List(ctx, filters)
}

// InspectVolume returns the named volume with the containers that use it.
func (e *Engine) InspectVolume(ctx context.Context, name string) (*volumes.Volume, error) {
	return e.vols.Get(ctx, name)
}

// VolumeSize returns the last known size of a volume's data without blocking
// (known false until a first measure); a missing or stale size starts a walk
// in the background.
func (e *Engine) VolumeSize(ctx context.Context, name string) (int64, bool) {
	return e.vols.SizeAsync(ctx, name)
}
