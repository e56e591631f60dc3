package main

import (
	"strings"
	"testing"
)

// TestBuildNetworkFlag checks docker build --network: RUN steps run on the
// build's network unless RUN --network says otherwise (RUN
// --network=default means the build's), the network is part of the cache
// key, and a network BuildKit does not know is refused in one sentence.
func TestBuildNetworkFlag(t *testing.T) {
	c := newCLI(t)
	df := "FROM busybox\nRUN ip -o link | grep -vc ': lo:' > /links || true\n" +
		"RUN --network=default ip -o link | grep -vc ': lo:' > /default || true\n" +
		"RUN --network=none ip -o link | grep -vc ': lo:' > /none || true\n"
	links := func(net string) string {
		out, errOut, code := c.run(df, "build", "-q", "--network", net, "-")
		if code != 0 {
			t.Fatalf("build --network %s: exit %d: %s", net, code, errOut)
		}
		id := strings.TrimSpace(out)
		return strings.Join(strings.Fields(c.ok("run", "--rm", id, "cat", "/links", "/default", "/none")), " ")
	}
	if got := links("none"); got != "0 0 0" {
		t.Errorf("--network none: RUN steps saw %q links beside lo, want 0 0 0", got)
	}
	if got := links("default"); got != "1 1 0" {
		t.Errorf("--network default: RUN steps saw %q links beside lo, want 1 1 0", got)
	}
	_, errOut, code := c.run(df, "build", "-q", "--network", "bogus", "-")
	if code == 0 || errOut != "berth: invalid --network \"bogus\": use default, none or host\n" {
		t.Errorf("--network bogus: exit %d: %q", code, errOut)
	}
}
