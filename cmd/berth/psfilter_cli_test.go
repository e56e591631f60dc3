package main

import "testing"

// TestPsFilterDockerRules: berth ps --filter follows dockerd's rules, which
// the API server always followed: name and id are regular expressions,
// several labels must all match, ancestor takes images built on the one
// named, only status/exited/before/since list stopped containers without
// -a, and the keys the server knows (publish, network, before …) work.
func TestPsFilterDockerRules(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "web-1", "--label", "project=p", "--label", "oneoff=False", "-p", "127.0.0.1::8080",
		"busybox", "sleep", "1000")
	c.ok("create", "--name", "web-2", "--label", "project=p", "--label", "oneoff=True", "busybox", "true")
	c.ok("commit", "web-2", "derived:1")
	c.ok("create", "--name", "child", "derived:1", "true")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-a", "--filter", "name=^web-[0-9]$"}, "web-2\nweb-1\n"},
		{[]string{"--filter", "name=web"}, "web-1\n"}, // running only without -a, as docker ps
		{[]string{"-a", "--filter", "label=project=p", "--filter", "label=oneoff=True"}, "web-2\n"},
		{[]string{"-a", "--filter", "ancestor=busybox"}, "child\nweb-2\nweb-1\n"},
		{[]string{"-a", "--filter", "ancestor=derived:1"}, "child\n"},
		{[]string{"--filter", "status=created"}, "child\nweb-2\n"},
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
