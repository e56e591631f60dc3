package tui

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/xray"
)

// fakeNetworks is an in-memory network manager: the default bridge with
// three containers, appnet with one, and an unused internal network.
type fakeNetworks struct {
	mu   sync.Mutex
	nets []engine.Network
	eps  map[string][]engine.NetworkEndpoint
	acts []string
}

func newFakeNetworks(f *fakeEngine) *fakeNetworks {
	net := func(id, name, subnet, bridge string, internal bool, age time.Duration) engine.Network {
		p := netip.MustParsePrefix(subnet)
		return engine.Network{ID: fmt.Sprintf("%s%058x", id, len(name)), Name: name, Driver: "bridge", Subnet: p,
			Gateway: p.Addr().Next(), Bridge: bridge, Internal: internal, Created: testNow.Add(-age)}
	}
	fn := &fakeNetworks{nets: []engine.Network{
		net("b7d9a1", "bridge", "10.213.0.0/24", "berth0", false, 48*time.Hour),
		net("a99c2e", "appnet", "10.123.0.0/24", "berth-a99c2e", false, 3*time.Hour),
		net("e1f0c3", "isolated", "10.213.2.0/24", "berth-e1f0c3", true, 20*time.Minute),
	}, eps: map[string][]engine.NetworkEndpoint{}}
	for _, b := range []struct{ id, name, driver string }{{"96614d", "host", "host"}, {"ffecaa", "none", "null"}} {
		// The built-in networks, as netmgr lists them: after the bridges, as old as the default one.
		fn.nets = append(fn.nets, engine.Network{ID: fmt.Sprintf("%s%058x", b.id, len(b.name)), Name: b.name,
			Driver: b.driver, Labels: map[string]string{}, Created: fn.nets[0].Created})
	}
	ep := func(n engine.Network, c *engine.Container, ifn string, host int, aliases ...string) engine.NetworkEndpoint {
		ip := n.Subnet.Addr()
		for i := 0; i < host; i++ {
			ip = ip.Next()
		}
		return engine.NetworkEndpoint{NetworkID: n.ID, NetworkName: n.Name, ContainerID: c.ID, IfName: ifn,
			HostVeth: "vberth" + c.ID[:6] + ifn[3:], IP: ip, Prefix: n.Subnet.Bits(), Gateway: n.Gateway,
			MAC: fmt.Sprintf("02:42:0a:%02x:00:%02x", n.Subnet.Addr().As4()[1], host), Aliases: aliases}
	}
	br, app := fn.nets[0], fn.nets[1]
	fn.eps[br.ID] = []engine.NetworkEndpoint{ep(br, f.cs[0], "eth0", 2), ep(br, f.cs[1], "eth0", 3), ep(br, f.cs[3], "eth0", 4)}
	fn.eps[app.ID] = []engine.NetworkEndpoint{ep(app, f.cs[3], "eth1", 2, "www")}
	for _, list := range fn.eps {
		for _, e := range list {
			c, _ := f.find(e.ContainerID)
			if c.NetworkSettings.Networks == nil {
				c.NetworkSettings.Networks = map[string]*engine.EndpointSettings{}
			}
			c.NetworkSettings.Networks[e.NetworkName] = &engine.EndpointSettings{NetworkID: e.NetworkID, IPAddress: e.IP.String(),
				IPPrefixLen: e.Prefix, Gateway: e.Gateway.String(), MacAddress: e.MAC, Aliases: e.Aliases}
		}
	}
	f.cs[3].NetworkSettings.Ports = engine.PortMap{"80/tcp": {{HostIP: "0.0.0.0", HostPort: "8080"}},
		"443/tcp": {{HostIP: "127.0.0.1", HostPort: "8443"}}, "53/udp": {{HostIP: "0.0.0.0", HostPort: "5353"}}}
	f.cs[1].NetworkSettings.Ports = engine.PortMap{"8000/tcp": {{HostIP: "0.0.0.0", HostPort: "32768"}}}
	return fn
}

func (fn *fakeNetworks) find(ref string) (int, error) {
	for i, n := range fn.nets {
		if n.ID == ref || n.Name == ref {
			return i, nil
		}
	}
	return -1, fmt.Errorf("network %s: %w", ref, errdefs.ErrNotFound)
}

func (fn *fakeNetworks) List(ctx context.Context) ([]engine.Network, error) {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	return append([]engine.Network(nil), fn.nets...), nil
}

func (fn *fakeNetworks) Members(ctx context.Context, ref string) ([]engine.NetworkEndpoint, error) {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	i, err := fn.find(ref)
	if err != nil {
		return nil, err
	}
	return append([]engine.NetworkEndpoint(nil), fn.eps[fn.nets[i].ID]...), nil
}

func (fn *fakeNetworks) Create(ctx context.Context, o engine.NetworkCreateOptions) (*engine.Network, error) {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if _, err := fn.find(o.Name); err == nil {
		return nil, fmt.Errorf("network %s: %w", o.Name, errdefs.ErrAlreadyExists)
	}
	if !o.Subnet.IsValid() {
		o.Subnet = netip.MustParsePrefix(fmt.Sprintf("10.213.%d.0/24", 10+len(fn.nets)))
	}
	if !o.Gateway.IsValid() {
		o.Gateway = o.Subnet.Addr().Next()
	}
	n := engine.Network{ID: fmt.Sprintf("c0ffee%058x", len(fn.nets)), Name: o.Name, Driver: "bridge", Subnet: o.Subnet,
		Gateway: o.Gateway, Bridge: "berth-c0ffee", Internal: o.Internal, Created: testNow}
	fn.nets = append(fn.nets, n)
	fn.acts = append(fn.acts, "create "+o.Name)
	return &n, nil
}

func (fn *fakeNetworks) Remove(ctx context.Context, ref string) error {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	i, err := fn.find(ref)
	if err != nil {
		return err
	}
	n := fn.nets[i]
	if engine.PredefinedNetwork(n.Name) {
		return errdefs.ErrInvalidArgument.WithMessage(n.Name + " is a pre-defined network and cannot be removed")
	}
	if k := len(fn.eps[n.ID]); k > 0 {
		return fmt.Errorf("network %s has %d active endpoints: %w", n.Name, k, errdefs.ErrConflict)
	}
	fn.nets = append(fn.nets[:i], fn.nets[i+1:]...)
	fn.acts = append(fn.acts, "rm "+n.Name)
	return nil
}

func (fn *fakeNetworks) Prune(ctx context.Context) ([]string, error) {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	var gone []string
	kept := fn.nets[:0]
	for _, n := range fn.nets {
		if !engine.PredefinedNetwork(n.Name) && len(fn.eps[n.ID]) == 0 {
			gone = append(gone, n.Name)
			continue
		}
		kept = append(kept, n)
	}
	fn.nets = kept
	fn.acts = append(fn.acts, fmt.Sprintf("prune %v", gone))
	return gone, nil
}

// fakeNetwork is the X-ray network section of a container on the default
// bridge with port 8000 published on 32768.
func fakeNetwork(c *engine.Container) *xray.Network {
	ip := netip.MustParseAddr("10.213.0.3")
	gw := netip.MustParseAddr("10.213.0.1")
	tag := "berth ctr:" + c.ID
	ntag := "berth net:b7d9a1"
	return &xray.Network{Mode: "bridge", NetNS: "/run/berth/netns/" + c.ID[:12],
		Endpoints: []xray.Endpoint{{Network: "bridge", NetworkID: "b7d9a1", IfName: "eth0", IP: ip, Prefix: 24, Gateway: gw,
			MAC: "02:42:0a:d5:00:03", HostVeth: "vberth" + c.ID[:6] + "0", Bridge: "berth0"}},
		Routes: []xray.Route{{Dst: "default", Gateway: gw, Dev: "eth0"}, {Dst: "10.213.0.0/24", Dev: "eth0", Src: ip}},
		Ports:  []string{"8000/tcp -> 0.0.0.0:32768"},
		Rules: []xray.Rule{
			{Chain: "prerouting", Comment: tag, Kind: "dnat", Expr: "fib daddr type local tcp dport 32768 dnat to 10.213.0.3:8000"},
			{Chain: "output", Comment: tag, Kind: "dnat", Expr: "ip daddr != 127.0.0.0/8 fib daddr type local tcp dport 32768 dnat to 10.213.0.3:8000"},
			{Chain: "forward", Comment: ntag, Kind: "drop", Expr: `iifname "berth0" oifname "berth*" oifname != "berth0" drop`},
			{Chain: "postrouting", Comment: ntag, Kind: "masquerade", Expr: `ip saddr 10.213.0.0/24 oifname != "berth0" masquerade`},
			{Chain: "postrouting", Comment: tag, Kind: "masquerade", Expr: "ip saddr 10.213.0.3 ip daddr 10.213.0.3 tcp dport 8000 masquerade"},
		}}
}

func netOpts(name string) engine.NetworkCreateOptions { return engine.NetworkCreateOptions{Name: name} }
