package inspect

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"berth/netmgr"
	"berth/volumes"
)

// TestNetworkOf: host has no IPAM config or bridge option; a bridge shows
// both, and its containers by name with their aliases ([] when none, as the
// TUI showed; the CLI printed null).
func TestNetworkOf(t *testing.T) {
	v := NetworkOf(netmgr.Network{ID: "h1", Name: "host", Driver: "host"}, nil, nil)
	if cfg := v.IPAM["Config"].([]map[string]string); len(cfg) != 0 || len(v.Options) != 0 || v.Labels == nil {
		t.Errorf("host inspect: %+v", v)
	}
	bridge := netmgr.Network{ID: "b1", Name: "bridge", Driver: "bridge", Subnet: netip.MustParsePrefix("10.213.0.0/24"),
		Gateway: netip.MustParseAddr("10.213.0.1"), Bridge: "berth0", Created: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	eps := []netmgr.Endpoint{{ContainerID: "c1", IP: netip.MustParseAddr("10.213.0.2"), Prefix: 24, MAC: "02:42:0a:d5:00:02"},
		{ContainerID: "c2", IP: netip.MustParseAddr("10.213.0.3"), Prefix: 24, Aliases: []string{"db"}}}
	v = NetworkOf(bridge, eps, map[string]string{"c1": "web"})
	if cfg := v.IPAM["Config"].([]map[string]string); len(cfg) != 1 || cfg[0]["Subnet"] != "10.213.0.0/24" ||
		v.Options["com.docker.network.bridge.name"] != "berth0" || v.Created != "2026-01-02T03:04:05.000000006Z" {
		t.Errorf("bridge inspect: %+v", v)
	}
	b, err := json.Marshal(v.Containers)
	want := `{"c1":{"Aliases":[],"IPv4Address":"10.213.0.2/24","MacAddress":"02:42:0a:d5:00:02","Name":"web"},` +
		`"c2":{"Aliases":["db"],"IPv4Address":"10.213.0.3/24","MacAddress":"","Name":""}}`
	if err != nil || string(b) != want {
		t.Errorf("containers = %s, %v", b, err)
	}
}

// TestVolumeOf: Docker's field names, a local scope, and {} / [] for no
// labels and no users.
func TestVolumeOf(t *testing.T) {
	v := VolumeOf(volumes.Volume{Name: "data", Driver: "local", Mountpoint: "/var/lib/berth/volumes/data/_data",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	b, err := json.Marshal(v)
	want := `{"CreatedAt":"2026-01-02T03:04:05Z","Driver":"local","Labels":{},"Mountpoint":"/var/lib/berth/volumes/data/_data",` +
		`"Name":"data","Options":{},"Scope":"local","UsedBy":[]}`
	if err != nil || string(b) != want {
		t.Errorf("volume = %s, %v", b, err)
	}
	if v := VolumeOf(volumes.Volume{Name: "x", UsedBy: []string{"c1"}, Labels: map[string]string{"a": "b"}}); !strings.Contains(
		strings.Join(v.UsedBy, ","), "c1") || v.Labels["a"] != "b" {
		t.Errorf("volume with users: %+v", v)
	}
}
