package server

import (
	"github.com/moby/moby/api/types/network"

	"berth/engine"
)

// networkCreateOptions maps a create request onto the engine's options,
// refusing with a 400 naming the field what a berth network cannot be.
func networkCreateOptions(req *network.CreateRequest) (engine.NetworkCreateOptions, error) {
	o := engine.NetworkCreateOptions{Name: req.Name, Internal: req.Internal, Labels: req.Labels, Options: req.Options}
	if req.Name == "" {
		return o, badRequest("the network name is empty")
	}
	switch {
	case req.Driver != "" && req.Driver != network.NetworkBridge:
		return o, badRequest("network driver %q is not supported: berth has the bridge driver", req.Driver)
	case req.Scope != "" && req.Scope != "local":
		return o, badRequest("network scope %q is not supported: berth networks are local", req.Scope)
	case req.EnableIPv6 != nil && *req.EnableIPv6:
		return o, badRequest("EnableIPv6 is not supported: berth networks are IPv4 only")
	case req.EnableIPv4 != nil && !*req.EnableIPv4:
		return o, badRequest("EnableIPv4 false is not supported: berth networks are IPv4")
	case req.Ingress || req.ConfigOnly || req.ConfigFrom != nil:
		return o, badRequest("ingress and config-only networks are swarm features berth does not have")
	}
	if req.IPAM == nil {
		return o, nil
	}
	if d := req.IPAM.Driver; d != "" && d != "default" {
		return o, badRequest("IPAM driver %q is not supported: berth has the default one", d)
	}
	if len(req.IPAM.Options) > 0 {
		return o, badRequest("IPAM options are not supported")
	}
	switch len(req.IPAM.Config) {
	case 0:
		return o, nil
	case 1:
	default:
		return o, badRequest("a berth network has one IPv4 subnet; %d IPAM configs were given", len(req.IPAM.Config))
	}
	c := req.IPAM.Config[0]
	switch {
	case c.Subnet.IsValid() && !c.Subnet.Addr().Is4():
		return o, badRequest("subnet %s is not IPv4: berth networks are IPv4 only", c.Subnet)
	case c.IPRange.IsValid() && c.IPRange != c.Subnet:
		return o, badRequest("IPRange %s is not supported: addresses are leased from the whole subnet", c.IPRange)
	case len(c.AuxAddress) > 0:
		return o, badRequest("AuxiliaryAddresses are not supported")
	}
	o.Subnet, o.Gateway = c.Subnet, c.Gateway
	return o, nil
}
