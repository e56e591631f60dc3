package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/dnsd"
	"berth/engine/events"
	"berth/engine/monitor"
	"berth/netmgr"
)

// Network modes besides network names.
const (
	modeBridge = "bridge"
	modeHost   = "host"
	modeNone   = "none"
)

// Networks is the engine's network manager (for the network verbs).
func (e *Engine) Networks() *netmgr.Manager { return e.nets }

// validateNetwork checks the network options of a create: the network exists,
// ports parse, and the options fit the mode. Whether a host port is free is
// the start's business, as with dockerd (the port may be freed meanwhile).
func (e *Engine) validateNetwork(ctx context.Context, o *CreateOptions) error {
	h := &o.HostConfig
	mode := h.NetworkMode
	if mode == "" || mode == "default" {
		mode, h.NetworkMode = modeBridge, modeBridge
	}
	custom := o.Network.IPAddress != "" || o.Network.MacAddress != "" || len(o.Network.Aliases) > 0
	switch {
	case mode == modeHost || mode == modeNone || strings.HasPrefix(mode, "container:"):
		if (len(h.PortBindings) > 0 || h.PublishAll) && strings.HasPrefix(mode, "container:") {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("conflicting options: port publishing and the %s network mode", mode))
		}
		// On the host's network or none, published ports are discarded, as
		// Docker does (with a warning for host: PortsDiscarded).
		h.PortBindings, h.PublishAll = nil, false
		if custom {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("conflicting options: --ip, --mac-address or --network-alias and the %s network mode", mode))
		}
		if ref, ok := strings.CutPrefix(mode, "container:"); ok {
			if _, err := e.db.Get(ctx, ref); err != nil {
				return fmt.Errorf("network mode %s: %w", mode, err)
			}
		}
		return nil
	case mode == modeBridge:
		if o.Network.IPAddress != "" || len(o.Network.Aliases) > 0 {
			return errdefs.ErrInvalidArgument.WithMessage("--ip and --network-alias need a user-defined network (not the default bridge)")
		}
	default:
		n, err := e.nets.Get(ctx, mode)
		if errdefs.IsNotFound(err) {
			return err // "network NAME not found"
		} else if err != nil {
			return fmt.Errorf("network %s: %w", mode, err)
		}
		if err := n.Connectable(); err != nil { // host or none named by ID
			return err
		}
	}
	if a := o.Network.IPAddress; a != "" {
		if _, err := netip.ParseAddr(a); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --ip %q", a))
		}
	}
	if m := o.Network.MacAddress; m != "" {
		if _, err := net.ParseMAC(m); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --mac-address %q", m))
		}
	}
	_, err := portMappings(h.PortBindings)
	return err
}

// portMappings turns Docker's PortMap into netmgr's mappings.
func portMappings(pm PortMap) ([]netmgr.PortMapping, error) {
	var out []netmgr.PortMapping
	for key, bindings := range pm {
		port, proto, _ := strings.Cut(key, "/")
		if proto == "" {
			proto = "tcp"
		}
		cp, err := strconv.ParseUint(port, 10, 16)
		if err != nil || cp == 0 {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid container port %q", key))
		}
		for _, b := range bindings {
			m := netmgr.PortMapping{ContainerPort: uint16(cp), Proto: proto}
			if b.HostIP != "" {
				if m.HostIP, err = netip.ParseAddr(b.HostIP); err != nil {
					return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid host IP %q", b.HostIP))
				}
			}
			if b.HostPort != "" {
				hp, err := strconv.ParseUint(b.HostPort, 10, 16)
				if err != nil {
					return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid host port %q", b.HostPort))
				}
				m.HostPort = uint16(hp)
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// PortMapFromMappings is the Docker form of published ports.
func PortMapFromMappings(ms []netmgr.PortMapping) PortMap {
	pm := PortMap{}
	for _, m := range ms {
		key := strconv.Itoa(int(m.ContainerPort)) + "/" + m.Proto
		ip := ""
		if m.HostIP.IsValid() {
			ip = m.HostIP.String()
		} else {
			ip = "0.0.0.0"
		}
		hp := ""
		if m.HostPort != 0 {
			hp = strconv.Itoa(int(m.HostPort))
		}
		pm[key] = append(pm[key], PortBinding{HostIP: ip, HostPort: hp})
	}
	return pm
}

// netSetup is what a start learned of the container's network.
type netSetup struct {
	nsPath  string          // join this netns ("" = a new one, or none)
	hostNet bool            // --network host
	hosts   string          // /etc/hosts content
	resolv  string          // /etc/resolv.conf content
	proxies []monitor.Proxy // userland proxies for 127.0.0.1
	dns     *monitor.DNS    // embedded DNS, user-defined networks only
	// networks are the networks it joins, for the monitor's events.
	networks []monitor.NetworkRef
}

// setupNetwork attaches a starting container to its networks; on failure it
// leaves nothing behind.
func (e *Engine) setupNetwork(ctx context.Context, c *Container, rec *record) (ns *netSetup, err error) {
	mode := c.HostConfig.NetworkMode
	ns = &netSetup{hosts: baseHosts, resolv: containerResolv(&c.HostConfig, false)}
	switch {
	case mode == modeNone || mode == modeHost:
		return e.noneOrHostNet(ctx, c, mode, ns)
	case strings.HasPrefix(mode, "container:"):
		return e.joinContainerNet(ctx, strings.TrimPrefix(mode, "container:"), ns)
	}
	defer func() {
		if err != nil {
			e.teardownNetwork(context.WithoutCancel(ctx), c.ID, rec)
		}
	}()
	if ns.nsPath, err = e.namespace(c.ID); err != nil {
		return nil, err
	}
	rec.NetNS = ns.nsPath
	e.at("start.netns-made")
	primary, err := e.connectAll(ctx, c, rec, ns.nsPath)
	if err != nil {
		return nil, err
	}
	ns.networks = e.networkRefs(ctx, networkOrder(mode, rec.Networks))
	e.at("start.connected")
	if err := e.publish(ctx, c, rec, primary, ns); err != nil {
		return nil, err
	}
	e.at("start.published")
	links, err := e.linkHosts(ctx, c, rec, primary.NetworkName)
	if err != nil {
		return nil, err
	}
	ns.hosts += primary.IP.String() + "\t" + hostNames(c.Config) + "\n" + links
	extra, err := e.extraHosts(ctx, c.HostConfig.ExtraHosts)
	if err != nil {
		return nil, err
	}
	ns.hosts += extra
	if mode != modeBridge {
		ns.resolv = containerResolv(&c.HostConfig, true)
		ns.dns = &monitor.DNS{NetNS: ns.nsPath, Upstreams: dnsUpstreams(c.HostConfig.DNS)}
		for name := range rec.Networks {
			n, err := e.nets.Get(ctx, name)
			if err != nil {
				return nil, err
			}
			ns.dns.Files = append(ns.dns.Files, e.namesPath(n.ID))
			if err := e.updateNames(ctx, n.ID); err != nil {
				return nil, err
			}
		}
	}
	return ns, nil
}

// namespace returns the container's named network namespace, making it on
// the first start (a restart, or a start after recovery, reuses it).
func (e *Engine) namespace(id string) (string, error) {
	p := e.nets.NamespacePath(id)
	var st, self unix.Stat_t
	if unix.Stat(p, &st) == nil && unix.Stat("/proc/self/ns/net", &self) == nil && st.Dev == self.Dev {
		return p, nil // a bind mount of a namespace (nsfs), not the empty placeholder
	}
	return e.nets.CreateNamespace(id)
}

// connectAll joins every network of the record (the first, the one from
// --network, is primary: it has the default route). Already-made endpoints
// (a restart) are kept.
func (e *Engine) connectAll(ctx context.Context, c *Container, rec *record, nsPath string) (*netmgr.Endpoint, error) {
	have, err := e.nets.Endpoints(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	names := networkOrder(c.HostConfig.NetworkMode, rec.Networks)
	var primary *netmgr.Endpoint
	for i, name := range names {
		ep, err := e.connectOne(ctx, c, rec, name, nsPath, i == 0, have)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			primary = ep
		}
	}
	return primary, nil
}

func (e *Engine) connectOne(ctx context.Context, c *Container, rec *record, name, nsPath string, primary bool, have []netmgr.Endpoint) (*netmgr.Endpoint, error) {
	if name == modeBridge {
		if _, err := e.nets.EnsureDefault(ctx); err != nil {
			return nil, err
		}
	}
	n, err := e.nets.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	for i := range have {
		if have[i].NetworkID == n.ID {
			return &have[i], nil
		}
	}
	// Containers that ended give their addresses back first (the lowest
	// free one is handed out, as by dockerd).
	if err := e.sweepNetwork(ctx, n, c.ID); err != nil {
		return nil, err
	}
	want, ask := rec.Networks[name], asked(rec, name)
	o := netmgr.ConnectOptions{Primary: primary}
	if ask.IP != "" {
		o.IP, _ = netip.ParseAddr(ask.IP)
	}
	if ask.MAC != "" {
		o.MAC, _ = net.ParseMAC(ask.MAC)
	}
	if want != nil {
		o.Aliases = want.Aliases
	}
	ep, err := e.nets.Connect(ctx, name, c.ID, nsPath, o)
	if err != nil {
		return nil, err
	}
	rec.Networks[name] = endpointSettings(ep, want, c)
	rec.Networks[name].IPAMConfig = ipamConfig(ask.IP)
	return ep, nil
}

// ipamConfig is the IPAMConfig inspect shows for an asked address ("": none).
func ipamConfig(ip string) *EndpointIPAMConfig {
	if ip == "" {
		return nil
	}
	return &EndpointIPAMConfig{IPv4Address: ip}
}

// networkRefs names the networks of names that exist, for events.
func (e *Engine) networkRefs(ctx context.Context, names []string) []monitor.NetworkRef {
	var out []monitor.NetworkRef
	for _, name := range names {
		if n, err := e.nets.Get(ctx, name); err == nil {
			out = append(out, monitor.NetworkRef{ID: n.ID, Name: n.Name, Driver: n.Driver})
		}
	}
	return out
}

// networkOrder lists the record's networks, the primary one first.
func networkOrder(primary string, nets map[string]*EndpointSettings) []string {
	out := []string{primary}
	for name := range nets {
		if name != primary {
			out = append(out, name)
		}
	}
	return out
}

func endpointSettings(ep *netmgr.Endpoint, want *EndpointSettings, c *Container) *EndpointSettings {
	s := &EndpointSettings{NetworkID: ep.NetworkID, EndpointID: ep.EndpointID(),
		Gateway: ep.Gateway.String(), IPAddress: ep.IP.String(), IPPrefixLen: ep.Prefix, MacAddress: ep.MAC,
		Aliases: ep.Aliases}
	if want != nil && len(s.Aliases) == 0 {
		s.Aliases = want.Aliases
	}
	s.DNSNames = append([]string{c.Name[1:], c.ID[:12]}, s.Aliases...)
	return s
}

// publish adds the container's port rules and the 127.0.0.1 proxies.
func (e *Engine) publish(ctx context.Context, c *Container, rec *record, ep *netmgr.Endpoint, ns *netSetup) error {
	maps, err := portMappings(c.HostConfig.PortBindings)
	if err != nil {
		return err
	}
	if c.HostConfig.PublishAll {
		for p := range c.Config.ExposedPorts {
			port, proto, _ := strings.Cut(p, "/")
			n, err := strconv.ParseUint(port, 10, 16)
			if err == nil {
				maps = append(maps, netmgr.PortMapping{ContainerPort: uint16(n), Proto: orTCP(proto)})
			}
		}
	}
	_ = e.nets.Unpublish(ctx, c.ID)
	if len(maps) == 0 {
		rec.Ports = PortMap{}
		return nil
	}
	given, err := e.nets.Publish(ctx, c.ID, ep.IP, maps)
	if errdefs.IsConflict(err) { // in dockerd's words
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("driver failed programming external connectivity on endpoint %s (%s): %s",
			c.Name[1:], ep.EndpointID(), err.Error()))
	} else if err != nil {
		return err
	}
	rec.Ports = PortMapFromMappings(given)
	// The proxy listens where the port is published (as docker-proxy does):
	// it serves 127.0.0.1, which DNAT cannot reach, and keeps the port taken.
	for _, m := range given {
		host := "0.0.0.0"
		if m.HostIP.IsValid() {
			host = m.HostIP.String()
		}
		ns.proxies = append(ns.proxies, monitor.Proxy{Proto: m.Proto, Listen: net.JoinHostPort(host, strconv.Itoa(int(m.HostPort))),
			Target: net.JoinHostPort(ep.IP.String(), strconv.Itoa(int(m.ContainerPort)))})
	}
	return nil
}

func orTCP(p string) string {
	if p == "" {
		return "tcp"
	}
	return p
}

// joinContainerNet shares another running container's network namespace.
func (e *Engine) joinContainerNet(ctx context.Context, ref string, ns *netSetup) (*netSetup, error) {
	other, err := e.Inspect(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !other.State.Running {
		return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot join the network of container %s: it is not running", other.Name[1:]))
	}
	ns.nsPath = fmt.Sprintf("/proc/%d/ns/net", other.State.Pid)
	if other.NetworkSettings.SandboxKey != "" {
		ns.nsPath = other.NetworkSettings.SandboxKey
	}
	ns.hosts = readOr(other.HostsPath, ns.hosts)
	ns.resolv = readOr(other.ResolvConfPath, ns.resolv)
	return ns, nil
}

// ownsNetwork reports whether a container of network mode mode may have
// network state of its own (a namespace, endpoints, leases, published ports,
// rules): not one of the none or host mode or in another container's
// namespace, which never get any (Connect refuses them). Its removal need not
// look for any, nor wait for the network manager's lock.
func ownsNetwork(mode string) bool {
	return mode != modeNone && mode != modeHost && !strings.HasPrefix(mode, "container:")
}

// teardownNetwork removes a container's ports, endpoints, netns and DNS names.
// The host veths are deleted before the namespace: the kernel destroys a
// namespace (and the veths in it) asynchronously once it is unmounted, so
// its veths would outlive the removal for a while (seen by the next check or
// recovery as strays, with their address already leased again); deleting
// one waits out an RCU grace period instead.
func (e *Engine) teardownNetwork(ctx context.Context, id string, rec *record) {
	eps, _ := e.nets.Endpoints(ctx, id)
	_ = e.nets.Release(ctx, id)
	_ = e.nets.DeleteNamespace(id)
	for _, ep := range eps {
		_ = e.updateNames(ctx, ep.NetworkID)
	}
	if rec != nil {
		rec.NetNS, rec.Ports = "", nil
	}
}

func (e *Engine) namesPath(networkID string) string {
	return filepath.Join(e.root, "networks", networkID+".names.json")
}

// updateNames rewrites the DNS names file of a network from its members.
func (e *Engine) updateNames(ctx context.Context, networkID string) error {
	members, err := e.nets.Members(ctx, networkID)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil
		}
		return err
	}
	names := dnsd.Names{}
	for _, ep := range members {
		ip := ep.IP.String()
		list := append([]string{ep.ContainerID[:12]}, ep.Aliases...)
		if row, err := e.db.Get(ctx, ep.ContainerID); err == nil {
			list = append(list, row.Name)
		}
		for _, n := range list {
			names[n] = append(names[n], ip)
		}
	}
	if err := os.MkdirAll(filepath.Dir(e.namesPath(networkID)), 0o755); err != nil {
		return err
	}
	return dnsd.WriteNames(e.namesPath(networkID), names)
}

func (e *Engine) emitNetwork(action string, n *netmgr.Network, containerID string) {
	_ = e.events.Append(events.Event{Type: "network", Action: action, ID: n.ID,
		Attributes: map[string]string{"name": n.Name, "type": n.Driver, "container": containerID}})
}

// hostNames are the names /etc/hosts gives a container's own address: its
// fully qualified name first when it has a domain name, as Docker writes it.
func hostNames(c Config) string {
	if c.Domainname == "" {
		return c.Hostname
	}
	return c.Hostname + "." + c.Domainname + " " + c.Hostname
}
