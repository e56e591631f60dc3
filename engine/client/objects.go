package client

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	moby "github.com/moby/moby/client"

	"berth/engine"
	"berth/netmgr"
)

// ListNetworks lists the networks.
func (c *Client) ListNetworks(ctx context.Context, filters map[string][]string) ([]engine.Network, error) {
	res, err := c.api.NetworkList(ctx, moby.NetworkListOptions{Filters: filtersOf(filters)})
	if err != nil {
		return nil, wire(err, "list networks")
	}
	out := make([]engine.Network, 0, len(res.Items))
	for _, n := range res.Items {
		out = append(out, networkOf(n.Network))
	}
	c.nameBridges(ctx, out)
	return out, nil
}

// nameBridges fills in the bridge devices of ns, which Docker's shape names
// for the default network only, from berth's own call; a server that is not
// berth's leaves them empty.
func (c *Client) nameBridges(ctx context.Context, ns []engine.Network) {
	var bridges map[string]string
	if c.berthCall(ctx, http.MethodGet, "/berth/network-bridges", nil, "name the bridges", &bridges) != nil {
		return
	}
	for i := range ns {
		if b, ok := bridges[ns[i].ID]; ok {
			ns[i].Bridge = b
		}
	}
}

// networkOf maps a network's wire shape onto the engine's.
func networkOf(n network.Network) engine.Network {
	out := engine.Network{ID: n.ID, Name: n.Name, Driver: n.Driver, Internal: n.Internal, Labels: n.Labels,
		Created: n.Created, Bridge: n.Options[netmgr.OptBridgeName]}
	if n.Name != netmgr.DefaultNetwork { // the default shows Docker's set, given by no one
		out.Options = n.Options
	}
	for _, cfg := range n.IPAM.Config {
		if cfg.Subnet.Addr().Is4() {
			out.Subnet, out.Gateway = cfg.Subnet, cfg.Gateway
			break
		}
	}
	return out
}

// InspectNetwork returns a network and its containers' endpoints.
func (c *Client) InspectNetwork(ctx context.Context, ref string) (*engine.Network, []engine.NetworkEndpoint, error) {
	res, err := c.api.NetworkInspect(ctx, ref, moby.NetworkInspectOptions{})
	if err != nil {
		return nil, nil, wire(err, "inspect the network")
	}
	one := []engine.Network{networkOf(res.Network.Network)}
	c.nameBridges(ctx, one)
	n := one[0]
	eps := make([]engine.NetworkEndpoint, 0, len(res.Network.Containers))
	for id, r := range res.Network.Containers {
		eps = append(eps, engine.NetworkEndpoint{NetworkID: n.ID, NetworkName: n.Name, ContainerID: id,
			IP: r.IPv4Address.Addr(), Prefix: r.IPv4Address.Bits(), Gateway: n.Gateway, MAC: r.MacAddress.String()})
	}
	return &n, eps, nil
}

// CreateNetwork makes a bridge network.
func (c *Client) CreateNetwork(ctx context.Context, o engine.NetworkCreateOptions) (*engine.Network, error) {
	req := moby.NetworkCreateOptions{Driver: "bridge", Internal: o.Internal, Labels: o.Labels, Options: o.Options}
	if o.Subnet.IsValid() || o.Gateway.IsValid() {
		req.IPAM = &network.IPAM{Driver: "default", Config: []network.IPAMConfig{{Subnet: o.Subnet, Gateway: o.Gateway}}}
	}
	res, err := c.api.NetworkCreate(ctx, o.Name, req)
	if err != nil {
		return nil, wire(err, "create the network")
	}
	n, _, err := c.InspectNetwork(ctx, res.ID)
	return n, err
}

// RemoveNetwork removes a network.
func (c *Client) RemoveNetwork(ctx context.Context, ref string) error {
	_, err := c.api.NetworkRemove(ctx, ref, moby.NetworkRemoveOptions{})
	return wire(err, "remove the network")
}

// Connect joins a container to a network, with the address, MAC and
// aliases want asks for.
func (c *Client) Connect(ctx context.Context, netRef, ref string, want engine.EndpointSettings) error {
	ep := &network.EndpointSettings{Aliases: want.Aliases}
	if ip, err := netip.ParseAddr(want.IPAddress); err == nil {
		ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: ip}
	}
	if mac, err := net.ParseMAC(want.MacAddress); err == nil {
		ep.MacAddress = network.HardwareAddr(mac)
	}
	_, err := c.api.NetworkConnect(ctx, netRef, moby.NetworkConnectOptions{Container: ref, EndpointConfig: ep})
	return wire(err, "connect the container")
}

// Disconnect takes a container off a network.
func (c *Client) Disconnect(ctx context.Context, netRef, ref string) error {
	_, err := c.api.NetworkDisconnect(ctx, netRef, moby.NetworkDisconnectOptions{Container: ref})
	return wire(err, "disconnect the container")
}

// RemoveAllNetworks is berth's system reset of the networks, the predefined
// ones too; the Docker Engine API refuses to remove those.
func (c *Client) RemoveAllNetworks(ctx context.Context) error {
	return notImplemented("the removal of the predefined networks (system reset)")
}

// ListVolumes lists the volumes that pass Docker's volume ls filters.
func (c *Client) ListVolumes(ctx context.Context, filters map[string][]string) ([]engine.Volume, error) {
	res, err := c.api.VolumeList(ctx, moby.VolumeListOptions{Filters: filtersOf(filters)})
	if err != nil {
		return nil, wire(err, "list volumes")
	}
	out := make([]engine.Volume, 0, len(res.Items))
	for _, v := range res.Items {
		out = append(out, volumeOf(v))
	}
	return out, nil
}

// anonymousLabel marks a volume made for one container, as Docker marks it.
const anonymousLabel = "com.docker.volume.anonymous"

// volumeOf maps a volume's wire shape onto the engine's.
func volumeOf(v volume.Volume) engine.Volume {
	out := engine.Volume{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Labels: v.Labels}
	if len(v.Options) > 0 {
		out.Options = v.Options
	}
	out.CreatedAt, _ = time.Parse(time.RFC3339Nano, v.CreatedAt)
	_, out.Anonymous = v.Labels[anonymousLabel]
	return out
}

// InspectVolume returns a volume by name.
func (c *Client) InspectVolume(ctx context.Context, name string) (*engine.Volume, error) {
	res, err := c.api.VolumeInspect(ctx, name, moby.VolumeInspectOptions{})
	if err != nil {
		return nil, wire(err, "inspect the volume")
	}
	v := volumeOf(res.Volume)
	users, err := c.api.ContainerList(ctx, moby.ContainerListOptions{All: true,
		Filters: moby.Filters{}.Add("volume", v.Name)})
	if err == nil {
		for _, s := range users.Items {
			v.UsedBy = append(v.UsedBy, s.ID)
		}
	}
	return &v, nil
}

// VolumeSize is a volume's size as the server's disk usage measures it
// (known false when the server did not say).
func (c *Client) VolumeSize(ctx context.Context, name string) (int64, bool) {
	res, err := c.api.DiskUsage(ctx, moby.DiskUsageOptions{Volumes: true})
	if err != nil {
		return 0, false
	}
	for _, v := range res.Volumes.Items {
		if v.Name == name && v.UsageData != nil && v.UsageData.Size >= 0 {
			return v.UsageData.Size, true
		}
	}
	return 0, false
}

// CreateVolume makes a named volume ("" picks a name).
func (c *Client) CreateVolume(ctx context.Context, o engine.VolumeCreateOptions) (*engine.Volume, error) {
	driver := o.Driver
	if driver == "" {
		driver = engine.VolumeDriverLocal
	}
	res, err := c.api.VolumeCreate(ctx, moby.VolumeCreateOptions{Name: o.Name, Driver: driver, DriverOpts: o.Options, Labels: o.Labels})
	if err != nil {
		return nil, wire(err, "create the volume")
	}
	v := volumeOf(res.Volume)
	return &v, nil
}

// RemoveVolume removes a volume.
func (c *Client) RemoveVolume(ctx context.Context, name string, force bool) error {
	_, err := c.api.VolumeRemove(ctx, name, moby.VolumeRemoveOptions{Force: force})
	return wire(err, "remove the volume")
}

// trimName drops the leading slash of a container's name.
func trimName(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return strings.TrimPrefix(names[0], "/")
}
