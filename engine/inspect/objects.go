package inspect

import (
	"fmt"
	"time"

	"berth/netmgr"
	"berth/volumes"
)

// Network is a network as `docker network inspect` shows it (Docker's field
// names), the shape of `berth network inspect` and the TUI's Inspect tab.
type Network struct {
	Name       string                    `json:"Name"`
	ID         string                    `json:"Id"`
	Created    string                    `json:"Created"`
	Driver     string                    `json:"Driver"`
	Internal   bool                      `json:"Internal"`
	IPAM       map[string]any            `json:"IPAM"`
	Containers map[string]map[string]any `json:"Containers"`
	Labels     map[string]string         `json:"Labels"`
	Options    map[string]string         `json:"Options"`
}

// NetworkOf builds the inspect shape of n with its endpoints members; names
// maps container IDs to names (a missing one shows as "").
func NetworkOf(n netmgr.Network, members []netmgr.Endpoint, names map[string]string) Network {
	v := Network{Name: n.Name, ID: n.ID, Created: n.Created.Format("2006-01-02T15:04:05.999999999Z07:00"),
		Driver: n.Driver, Internal: n.Internal, Labels: n.Labels, Containers: map[string]map[string]any{},
		Options: n.DockerOptions(), IPAM: map[string]any{"Driver": "default", "Config": []map[string]string{}}}
	if !n.Builtin() { // host and none have no bridge and no addresses
		v.IPAM["Config"] = []map[string]string{{"Subnet": n.Subnet.String(), "Gateway": n.Gateway.String()}}
	}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	for _, ep := range members {
		v.Containers[ep.ContainerID] = map[string]any{"Name": names[ep.ContainerID], "MacAddress": ep.MAC,
			"IPv4Address": fmt.Sprintf("%s/%d", ep.IP, ep.Prefix), "Aliases": nonNil(ep.Aliases)}
	}
	return v
}

// Volume is a volume as `docker volume inspect` shows it (Docker's field
// names), the shape of `berth volume inspect` and the TUI's Inspect tab.
type Volume struct {
	CreatedAt  string            `json:"CreatedAt"`
	Driver     string            `json:"Driver"`
	Labels     map[string]string `json:"Labels"`
	Mountpoint string            `json:"Mountpoint"`
	Name       string            `json:"Name"`
	Options    map[string]string `json:"Options"`
	Scope      string            `json:"Scope"`
	UsedBy     []string          `json:"UsedBy"`
}

// VolumeOf builds the inspect shape of v.
func VolumeOf(v volumes.Volume) Volume {
	out := Volume{CreatedAt: v.CreatedAt.Format(time.RFC3339), Driver: v.Driver, Labels: v.Labels,
		Mountpoint: v.Mountpoint, Name: v.Name, Options: map[string]string{}, Scope: "local", UsedBy: nonNil(v.UsedBy)}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if len(v.Options) > 0 {
		out.Options = v.Options
	}
	return out
}
