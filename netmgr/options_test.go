package netmgr

import (
	"context"
	"maps"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

// TestNetworkOptions: the driver options berth's bridges honour are kept as
// given and shown back, nothing else is added to a user network's options
// (docker-compose recreates a network whose options differ from what it
// asked), the default network shows Docker's default-bridge set with its
// device, and any other option is refused with nothing stored.
func TestNetworkOptions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	plain, err := e.m.Create(ctx, CreateOptions{Name: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	mtu := map[string]string{"com.docker.network.driver.mtu": "1500"}
	withMTU, err := e.m.Create(ctx, CreateOptions{Name: "withmtu", Options: mtu})
	if err != nil {
		t.Fatal(err)
	}
	br, err := e.m.EnsureDefault(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref  string
		want map[string]string
	}{
		{plain.ID, map[string]string{}},
		{withMTU.ID, mtu},
		{br.ID, map[string]string{OptDefaultBridge: "true", OptBridgeName: br.Bridge,
			"com.docker.network.bridge.enable_icc": "true", "com.docker.network.bridge.enable_ip_masquerade": "true",
			"com.docker.network.bridge.host_binding_ipv4": "0.0.0.0", "com.docker.network.driver.mtu": "1500"}},
	} {
		n, err := e.m.Get(ctx, tc.ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.DockerOptions(); !maps.Equal(got, tc.want) {
			t.Errorf("%s: options %v, want %v", n.Name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{OptBridgeName: "mine"}, "network option com.docker.network.bridge.name is not supported by berth's bridge driver"},
		{map[string]string{"com.docker.network.driver.mtu": "9000"}, "network option com.docker.network.driver.mtu=9000 is not supported: berth's bridges have 1500"},
	} {
		_, err := e.m.Create(ctx, CreateOptions{Name: "bad", Options: tc.opts})
		if !errdefs.IsInvalidArgument(err) || err.Error() != tc.want {
			t.Errorf("options %v: %v, want %q", tc.opts, err, tc.want)
		}
	}
	if _, err := e.m.Get(ctx, "bad"); !errdefs.IsNotFound(err) {
		t.Errorf("a refused network was stored: %v", err)
	}
}

// TestOptionsColumnAddedToAnOldStore: a store made before networks kept
// their options opens with the column added and its networks' options empty.
func TestOptionsColumnAddedToAnOldStore(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "db"))
	if _, err := db.Exec(`CREATE TABLE net_networks (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, driver TEXT NOT NULL,
  subnet TEXT NOT NULL UNIQUE, gateway TEXT NOT NULL, bridge TEXT NOT NULL UNIQUE,
  internal INTEGER NOT NULL, labels TEXT NOT NULL, created INTEGER NOT NULL);
INSERT INTO net_networks VALUES ('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'old', 'bridge',
  '10.250.1.0/24', '10.250.1.1', 'told-01234567', 0, '{}', 1)`); err != nil {
		t.Fatal(err)
	}
	e := newEnvAt(t, dir)
	n, err := e.m.Get(context.Background(), "old")
	if err != nil {
		t.Fatal(err)
	}
	if got := n.DockerOptions(); len(got) != 0 {
		t.Errorf("old network's options %v, want none", got)
	}
}
