package main

import (
	"strings"
	"testing"
)

// TestAddHostForms: --add-host takes Docker's forms (name:ip, name=ip, an
// IPv6 address in brackets, host-gateway for the default bridge's gateway)
// on the default bridge and with --network none and host, as docker run.
func TestAddHostForms(t *testing.T) {
	c := newCLI(t)
	gw := strings.TrimSpace(c.ok("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", "bridge"))
	if gw == "" {
		t.Fatal("the default bridge has no gateway")
	}
	for _, network := range []string{"bridge", "none", "host"} {
		out := c.ok("run", "--rm", "--network", network, "--add-host", "host.docker.internal:host-gateway",
			"--add-host", "eq.test=192.0.2.7", "--add-host", "v6.test:[2001:db8::33]", "busybox", "cat", "/etc/hosts")
		for _, want := range []string{gw + "\thost.docker.internal\n", "192.0.2.7\teq.test\n", "2001:db8::33\tv6.test\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("--network %s: /etc/hosts lacks %q:\n%s", network, want, out)
			}
		}
	}
	for _, bad := range []string{"x:nope", "x:", "=1.2.3.4", "x:host-gateway:1"} {
		_, errOut, code := c.run("", "run", "--rm", "--add-host", bad, "busybox", "true")
		if code != 125 || !strings.Contains(errOut, "--add-host") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("--add-host %q: exit %d %q, want 125 and one line naming --add-host", bad, code, errOut)
		}
	}
	if out := c.ok("ps", "-aq"); out != "" {
		t.Errorf("bad --add-host left containers: %q", out)
	}
}
