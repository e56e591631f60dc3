package xray

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"berth/netmgr"
)

// Endpoint is the container's place on one bridge network: the inside end of
// its veth pair, the host end and the bridge that end is plugged into.
type Endpoint struct {
	// Network names the network; NetworkID is its ID.
	Network, NetworkID string
	// IfName is the interface inside the container ("eth0").
	IfName string
	// IP and Prefix are its address; Gateway the bridge's address; MAC its MAC.
	IP      netip.Addr
	Prefix  int
	Gateway netip.Addr
	MAC     string
	// HostVeth is the host end of the veth pair; Bridge the bridge it is in.
	HostVeth, Bridge string
}

// Route is one IPv4 route of the container's network namespace.
type Route struct {
	// Dst is the destination ("default" for 0.0.0.0/0); Gateway the next hop
	// (invalid when directly connected); Dev the interface.
	Dst     string
	Gateway netip.Addr
	Dev     string
	// Src is the preferred source address, when set.
	Src netip.Addr
}

// Rule is one nftables rule of berth's table that concerns the container.
type Rule struct {
	// Chain is the chain the rule is in (prerouting, output, postrouting, forward).
	Chain string
	// Comment is the rule's tag ("berth ctr:<id>" or "berth net:<id>").
	Comment string
	// Expr is the rule in nft's words, e.g. `tcp dport 8080 dnat to 10.213.0.2:80`.
	Expr string
	// Kind is what the rule does: dnat, masquerade, drop or accept.
	Kind string
}

// Network is the container's network as the X-ray shows it.
type Network struct {
	// Mode is the container's network mode (bridge, a network name, host,
	// none, container:<name>).
	Mode string
	// NetNS is the namespace file the routes were read from.
	NetNS string
	// Endpoints are its bridge attachments, sorted by interface.
	Endpoints []Endpoint
	// Routes are the routes inside its namespace.
	Routes []Route
	// Rules are the NAT and filter rules that concern it.
	Rules []Rule
	// Ports are its published ports ("80/tcp -> 0.0.0.0:8080").
	Ports []string
	// Err says what could not be read (the rest is still shown).
	Err string
}

// gatherNetwork reads the endpoints, routes and rules of container c.
func gatherNetwork(ctx context.Context, c Target, o Options) *Network {
	n := &Network{Mode: c.NetworkMode, NetNS: c.SandboxKey}
	if n.NetNS == "" && c.Pid > 0 && n.Mode != "host" {
		n.NetNS = fmt.Sprintf("%s/%d/ns/net", o.Proc, c.Pid)
	}
	var errs []string
	n.Endpoints = endpointsOf(ctx, c, o, &errs)
	if n.NetNS != "" && n.Mode != "host" {
		rs, err := RoutesIn(n.NetNS)
		if err != nil {
			errs = append(errs, err.Error())
		}
		n.Routes = rs
	}
	if o.Table != "" && len(n.Endpoints) > 0 {
		var netIDs []string
		for _, ep := range n.Endpoints {
			netIDs = append(netIDs, ep.NetworkID)
		}
		rs, err := RulesFor(o.Table, c.ID, netIDs)
		if err != nil {
			errs = append(errs, err.Error())
		}
		n.Rules = rs
	}
	n.Ports = c.Ports
	n.Err = strings.Join(errs, "; ")
	return n
}

// endpointsOf joins the engine's endpoint settings with the network
// manager's endpoints (host veth) and the bridge the veth is plugged into.
func endpointsOf(ctx context.Context, c Target, o Options, errs *[]string) []Endpoint {
	var mgr []netmgr.Endpoint
	if o.Endpoints != nil {
		var err error
		if mgr, err = o.Endpoints(ctx, c.ID); err != nil {
			*errs = append(*errs, fmt.Sprintf("endpoints: %v", err))
		}
	}
	byNet := map[string]netmgr.Endpoint{}
	for _, ep := range mgr {
		byNet[ep.NetworkID] = ep
	}
	var out []Endpoint
	for _, s := range c.Networks {
		if s.IP == "" {
			continue
		}
		ep := Endpoint{Network: s.Network, NetworkID: s.NetworkID, MAC: s.MAC, Prefix: s.Prefix}
		ep.IP, _ = netip.ParseAddr(s.IP)
		ep.Gateway, _ = netip.ParseAddr(s.Gateway)
		if m, ok := byNet[s.NetworkID]; ok {
			ep.IfName, ep.HostVeth = m.IfName, m.HostVeth
			ep.Bridge = bridgeOf(m.HostVeth)
		}
		out = append(out, ep)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].IfName != out[j].IfName {
			return out[i].IfName < out[j].IfName
		}
		return out[i].Network < out[j].Network
	})
	return out
}

// bridgeOf names the bridge a host interface is enslaved to ("" if none).
func bridgeOf(link string) string {
	if link == "" {
		return ""
	}
	l, err := netlink.LinkByName(link)
	if err != nil || l.Attrs().MasterIndex == 0 {
		return ""
	}
	br, err := netlink.LinkByIndex(l.Attrs().MasterIndex)
	if err != nil {
		return ""
	}
	return br.Attrs().Name
}

// RoutesIn lists the IPv4 routes of the network namespace at nsPath (a
// named namespace or /proc/PID/ns/net), read over netlink from inside it.
func RoutesIn(nsPath string) ([]Route, error) {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return nil, fmt.Errorf("routes: open netns %s: %w", nsPath, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("routes: netlink in %s: %w", nsPath, err)
	}
	defer h.Close()
	rs, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("routes in %s: %w", nsPath, err)
	}
	names := map[int]string{}
	out := make([]Route, 0, len(rs))
	for _, r := range rs {
		rt := Route{Dst: "default"}
		if r.Dst != nil {
			if ones, _ := r.Dst.Mask.Size(); ones > 0 || !r.Dst.IP.IsUnspecified() {
				rt.Dst = r.Dst.String()
			}
		}
		rt.Gateway, _ = netip.AddrFromSlice(r.Gw.To4())
		rt.Src, _ = netip.AddrFromSlice(r.Src.To4())
		if _, ok := names[r.LinkIndex]; !ok {
			if l, err := h.LinkByIndex(r.LinkIndex); err == nil {
				names[r.LinkIndex] = l.Attrs().Name
			} else {
				names[r.LinkIndex] = strconv.Itoa(r.LinkIndex)
			}
		}
		rt.Dev = names[r.LinkIndex]
		out = append(out, rt)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Dst == "default" && out[j].Dst != "default" })
	return out, nil
}
