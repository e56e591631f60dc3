package main

import (
	"strings"
	"testing"
)

// TestPsFilterDockerRules: berth ps --filter follows dockerd's rules, which
// the API server always followed: name and id are regular expressions,
// several labels must all match, ancestor takes images built on the one
// named, only status/exited/before/since list stopped containers without
// -a, and the keys the server knows (publish, network, before …) work.
func TestPsFilterDockerRules(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "web-1", "--label", "project=p", "--label", "oneoff=False", "-p", "127.0.0.1::8080",
		"busybox", "sleep", "1000")
	c.ok("run", "--name", "web-2", "--label", "project=p", "--label", "oneoff=True", "busybox", "sh", "-c", "echo x > /f")
	c.ok("commit", "web-2", "derived:1")
	c.ok("create", "--name", "child", "derived:1", "true")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-a", "--filter", "name=^web-[0-9]$"}, "web-2\nweb-1\n"},
		{[]string{"--filter", "name=web"}, "web-1\n"}, // running only without -a, as docker ps
		// child inherits web-2's labels through the committed image.
		{[]string{"-a", "--filter", "label=project=p", "--filter", "label=oneoff=True"}, "child\nweb-2\n"},
		{[]string{"-a", "--filter", "label=project=p", "--filter", "label=oneoff=False"}, "web-1\n"},
		{[]string{"-a", "--filter", "ancestor=busybox"}, "child\nweb-2\nweb-1\n"},
		{[]string{"-a", "--filter", "ancestor=derived:1"}, "child\n"},
		{[]string{"--filter", "status=created"}, "child\n"},
		{[]string{"--filter", "status=exited"}, "web-2\n"},
		{[]string{"--filter", "before=child"}, "web-2\nweb-1\n"},
		{[]string{"--filter", "publish=8080"}, "web-1\n"},
		{[]string{"--filter", "network=bridge"}, "web-1\n"},
	} {
		args := append([]string{"ps", "--format", "{{.Names}}"}, tc.args...)
		if got := c.ok(args...); got != tc.want {
			t.Errorf("ps %v: %q, want %q", tc.args, got, tc.want)
		}
	}
	c.fail("", "invalid filter 'publish=x'", "ps", "--filter", "publish=x")
	c.fail("", "invalid filter 'status=sleeping'", "ps", "--filter", "status=sleeping")
	c.fail("", `bad format of filter "status"`, "ps", "--filter", "status")
}

// TestStopSignalAndPruneFilters: stop and restart take -s (the API's
// StopOptions), and container, network and volume prune take --filter
// (the API's prune filters).
func TestStopSignalAndPruneFilters(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "trapper", "busybox", "sh", "-c", `trap "exit 3" USR1; while :; do sleep 1; done`)
	c.ok("stop", "-s", "USR1", "-t", "600", "trapper")
	if got := c.ok("inspect", "-f", "{{.State.ExitCode}}", "trapper"); got != "3\n" {
		t.Errorf("stop -s USR1: exit code %q, want 3 (the trap ran)", got)
	}
	c.fail("", "NOPE", "stop", "-s", "NOPE", "trapper")
	c.ok("create", "--name", "keep", "busybox", "true")
	c.ok("create", "--name", "drop", "--label", "tmp=1", "busybox", "true")
	if got := c.ok("container", "prune", "-f", "--filter", "label=tmp=1"); !strings.Contains(got, "Deleted Containers:") {
		t.Errorf("container prune --filter: %q", got)
	}
	if got := c.ok("ps", "-a", "--format", "{{.Names}}", "--filter", "name=^(keep|drop|trapper)$"); got != "keep\ntrapper\n" {
		t.Errorf("after container prune --filter label=tmp=1: %q, want keep and trapper", got)
	}
	c.fail("", "until", "container", "prune", "-f", "--filter", "until=soon")
	c.ok("network", "create", "--label", "tmp=1", "n-drop")
	c.ok("network", "create", "n-keep")
	if got := c.ok("network", "prune", "-f", "--filter", "label=tmp=1"); got != "Deleted Networks:\nn-drop\n" {
		t.Errorf("network prune --filter: %q", got)
	}
	c.ok("network", "rm", "n-keep")
	c.ok("volume", "create", "--label", "tmp=1", "v-drop")
	c.ok("volume", "create", "v-keep")
	if got := c.ok("volume", "prune", "-f", "-a", "--filter", "label=tmp=1"); !strings.Contains(got, "v-drop") || strings.Contains(got, "v-keep") {
		t.Errorf("volume prune -a --filter: %q", got)
	}
	c.fail("", `bad format of filter "label"`, "volume", "prune", "-f", "--filter", "label")
	c.ok("volume", "rm", "v-keep")
	c.ok("rm", "-f", "keep", "trapper")
}
