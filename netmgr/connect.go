package netmgr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
)

// ConnectOptions are a container's wishes for one network.
type ConnectOptions struct {
	IP      netip.Addr       // a fixed address (must be a free host address of the subnet)
	MAC     net.HardwareAddr // a fixed MAC; random locally administered when empty
	Aliases []string         // extra DNS names on this network
	Primary bool             // default route via this network (not for --internal ones)
}

// Endpoint is a container's attachment to one network.
type Endpoint struct {
	NetworkID, NetworkName, ContainerID, IfName, HostVeth string
	IP                                                    netip.Addr
	Prefix                                                int
	Gateway                                               netip.Addr
	MAC                                                   string
	Aliases                                               []string
}

// Connect attaches the namespace at nsPath to a network: lease, bridge (made on
// demand), veth pair with the peer created in the namespace as ethN, address, MAC,
// default route when Primary, and the network's nftables rules. On failure nothing
// of it is left.
func (m *Manager) Connect(ctx context.Context, netRef, containerID, nsPath string, o ConnectOptions) (*Endpoint, error) {
	if containerID == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage("connect: empty container id")
	}
	n, err := m.Get(ctx, netRef)
	if err != nil {
		return nil, err
	}
	if err := n.Connectable(); err != nil {
		return nil, err
	}
	ep, err := m.lease(ctx, n, containerID, nsPath, o)
	if err != nil {
		return nil, err
	}
	m.at("net.connect.leased")
	if err := m.plumb(n, ep, nsPath, o.Primary); err != nil {
		_ = deleteLink(ep.HostVeth)
		if uerr := m.unlease(context.WithoutCancel(ctx), n.ID, containerID); uerr != nil {
			return nil, errors.Join(err, uerr)
		}
		return nil, err
	}
	return ep, nil
}

// plumb makes the kernel side of a leased endpoint.
func (m *Manager) plumb(n *Network, ep *Endpoint, nsPath string, primary bool) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	br, err := m.ensureBridge(n)
	unlock()
	if err != nil {
		return err
	}
	ns, err := m.openNamespace(nsPath)
	if err != nil {
		return err
	}
	defer ns.Close()
	mac, _ := net.ParseMAC(ep.MAC)
	la := netlink.NewLinkAttrs()
	la.Name, la.MasterIndex, la.Flags, la.MTU = ep.HostVeth, br.Attrs().Index, net.FlagUp, br.Attrs().MTU
	veth := &netlink.Veth{LinkAttrs: la, PeerName: ep.IfName, PeerHardwareAddr: mac, PeerNamespace: netlink.NsFd(int(ns))}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth %s: %w", ep.HostVeth, err)
	}
	m.at("net.connect.veth-made")
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", nsPath, err)
	}
	defer h.Close()
	peer, err := h.LinkByName(ep.IfName)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", ep.IfName, nsPath, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ep.IP.AsSlice(), Mask: net.CIDRMask(ep.Prefix, 32)}}
	if err := h.AddrAdd(peer, addr); err != nil {
		return fmt.Errorf("address %s on %s: %w", ep.IP, ep.IfName, err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		return fmt.Errorf("%s up: %w", ep.IfName, err)
	}
	if primary && !n.Internal {
		if err := h.RouteAdd(&netlink.Route{LinkIndex: peer.Attrs().Index, Gw: n.Gateway.AsSlice()}); err != nil {
			return fmt.Errorf("default route via %s: %w", n.Gateway, err)
		}
	}
	return nil
}

// Disconnect detaches a container from one network and frees its address.
func (m *Manager) Disconnect(ctx context.Context, netRef, containerID string) error {
	n, err := m.Get(ctx, netRef)
	if err != nil {
		return err
	}
	eps, err := m.endpoints(ctx, `WHERE e.network_id = ? AND e.container_id = ?`, n.ID, containerID)
	if err != nil {
		return err
	}
	if len(eps) == 0 {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("container %s is not connected to network %s", short(containerID), n.Name))
	}
	if err := deleteLink(eps[0].HostVeth); err != nil {
		return err
	}
	m.at("net.disconnect.unlinked")
	return m.unlease(ctx, n.ID, containerID)
}

// Release frees every endpoint, lease and published port of a container; a
// container without any is fine.
func (m *Manager) Release(ctx context.Context, containerID string) error {
	eps, err := m.Endpoints(ctx, containerID)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if err := deleteLink(ep.HostVeth); err != nil {
			return err
		}
		if err := m.unlease(ctx, ep.NetworkID, containerID); err != nil {
			return err
		}
	}
	return m.Unpublish(ctx, containerID)
}

// Endpoints lists a container's attachments, in interface order.
func (m *Manager) Endpoints(ctx context.Context, containerID string) ([]Endpoint, error) {
	return m.endpoints(ctx, `WHERE e.container_id = ?`, containerID)
}

// Members lists the endpoints of a network (for inspect and name resolution).
func (m *Manager) Members(ctx context.Context, netRef string) ([]Endpoint, error) {
	n, err := m.Get(ctx, netRef)
	if err != nil {
		return nil, err
	}
	return m.endpoints(ctx, `WHERE e.network_id = ?`, n.ID)
}

func (m *Manager) endpoints(ctx context.Context, where string, args ...any) ([]Endpoint, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT e.network_id, n.name, n.subnet, n.gateway, e.container_id, e.ifname,
		e.host_veth, e.ip, e.mac, e.aliases FROM net_endpoints e JOIN net_networks n ON n.id = e.network_id `+where+
		` ORDER BY e.container_id, length(e.ifname), e.ifname`, args...)
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	defer rows.Close()
	var out []Endpoint
	for rows.Next() {
		var ep Endpoint
		var subnet, gw, ip, aliases string
		if err := rows.Scan(&ep.NetworkID, &ep.NetworkName, &subnet, &gw, &ep.ContainerID, &ep.IfName,
			&ep.HostVeth, &ip, &ep.MAC, &aliases); err != nil {
			return nil, fmt.Errorf("list endpoints: %w", err)
		}
		p, _ := netip.ParsePrefix(subnet)
		ep.Prefix = p.Bits()
		ep.Gateway, _ = netip.ParseAddr(gw)
		ep.IP, _ = netip.ParseAddr(ip)
		_ = json.Unmarshal([]byte(aliases), &ep.Aliases)
		out = append(out, ep)
	}
	return out, rows.Err()
}
