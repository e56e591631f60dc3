package main

import (
	"strings"
	"testing"
)

// TestDNSSearchOptions: --dns-search and --dns-option are the search and
// options lines of the container's resolv.conf on the default bridge and
// on a user-defined network (where ndots:0 stays, as Docker writes it),
// and inspect shows them.
func TestDNSSearchOptions(t *testing.T) {
	c := newCLI(t)
	c.ok("network", "create", "dnsnet")
	defer c.ok("network", "rm", "dnsnet")
	for _, tc := range []struct {
		network string
		want    []string
	}{
		{"bridge", []string{"nameserver 192.0.2.53\n", "search a.test b.test\n", "options ndots:2 timeout:3\n"}},
		{"dnsnet", []string{"nameserver 127.0.0.11\n", "search a.test b.test\n", "options ndots:2 timeout:3\n"}},
	} {
		id := strings.TrimSpace(c.ok("create", "--network", tc.network, "--dns", "192.0.2.53", "--dns-search", "a.test",
			"--dns-search", "b.test", "--dns-option", "ndots:2", "--dns-option", "timeout:3", "busybox", "cat", "/etc/resolv.conf"))
		got := strings.TrimSpace(c.ok("inspect", "-f", "{{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}}", id))
		if got != `["a.test","b.test"] ["ndots:2","timeout:3"]` {
			t.Errorf("%s: inspect %s", tc.network, got)
		}
		out := c.ok("start", "-a", id)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: resolv.conf lacks %q:\n%s", tc.network, w, out)
			}
		}
		if strings.Count(out, "search") != 1 || strings.Count(out, "options") != 1 {
			t.Errorf("%s: want one search and one options line:\n%s", tc.network, out)
		}
		c.ok("rm", id)
	}
	out := c.ok("run", "--rm", "--network", "dnsnet", "--dns-option", "timeout:3", "busybox", "cat", "/etc/resolv.conf")
	if !strings.Contains(out, "options timeout:3 ndots:0\n") {
		t.Errorf("user network without ndots: resolv.conf\n%s", out)
	}
	if got := c.ok("inspect", "-f", "{{json .HostConfig.DnsSearch}}", strings.TrimSpace(c.ok("create", "busybox"))); got != "[]\n" {
		t.Errorf("no --dns-search: inspect %q, want []", got)
	}
	c.ok("rm", "-f", strings.TrimSpace(c.ok("ps", "-aq")))
	refusedAll(t, c, map[string]string{
		"run --rm --dns-search a#b busybox true": `invalid --dns-search "a#b"`,
		"create --dns-option x;y busybox true":   `invalid --dns-option "x;y"`,
	})
}
