package engine_test

import (
	"strings"
	"testing"

	"berth/netmgr"
)

// TestSharedAliasResolvesToEveryHolder: as in Docker, several containers may
// share an alias on a network (docker-compose gives each replica of a
// service the service's name); the name resolves to all of them.
func TestSharedAliasResolvesToEveryHolder(t *testing.T) {
	e := newEngine(t)
	mustNet(t, e, netmgr.CreateOptions{Name: "sharetest"})
	var ips []string
	for _, name := range []string{"replica1", "replica2"} {
		o := onNet("sharetest", name, "sleep", "100")
		o.Network.Aliases = []string{"svc"}
		c := startNamed(t, e, o)
		ips = append(ips, c.NetworkSettings.Networks["sharetest"].IPAddress)
	}
	out, stderr, code := runAttached(t, e, onNet("sharetest", "asker", "nslookup", "svc"))
	if code != 0 {
		t.Fatalf("nslookup svc: exit %d, %q %q", code, out, stderr)
	}
	for _, ip := range ips {
		if !strings.Contains(out, ip) {
			t.Errorf("nslookup svc: %q, want both holders %v", out, ips)
		}
	}
}
