package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/containerd/errdefs"

	"berth/netmgr"
)

// resolveExtraNetworks checks the networks a create joins besides its
// primary one (Docker's NetworkingConfig.EndpointsConfig) as Connect would,
// before anything is made, and keys o.ExtraNetworks by network name. It
// returns the networks, in name order, for their connect events.
func (e *Engine) resolveExtraNetworks(ctx context.Context, o *CreateOptions) ([]*netmgr.Network, error) {
	if len(o.ExtraNetworks) == 0 {
		return nil, nil
	}
	mode := o.HostConfig.NetworkMode
	if mode == modeHost || mode == modeNone || strings.HasPrefix(mode, "container:") {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("a container in the %s network mode cannot join other networks", mode))
	}
	refs := make([]string, 0, len(o.ExtraNetworks))
	for ref := range o.ExtraNetworks {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	byName := map[string]EndpointSettings{}
	var out []*netmgr.Network
	for _, ref := range refs {
		if ref == modeBridge {
			if _, err := e.nets.EnsureDefault(ctx); err != nil {
				return nil, err
			}
		}
		n, err := e.nets.Get(ctx, ref)
		if err != nil {
			return nil, err
		}
		if err := n.Connectable(); err != nil {
			return nil, err
		}
		if _, dup := byName[n.Name]; dup || n.Name == mode {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("network %s is given twice", n.Name))
		}
		byName[n.Name] = o.ExtraNetworks[ref]
		out = append(out, n)
	}
	o.ExtraNetworks = byName
	return out, nil
}
