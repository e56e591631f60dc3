package main

import (
	"strings"
	"testing"

	"berth/engine"
)

func TestPsSizeLastAndLatest(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "--name", "first", "busybox", "true")
	c.ok("run", "-d", "--name", "writer", "busybox", "sleep", "1000")
	c.ok("exec", "writer", "sh", "-c", "printf ab > /tmp/two")
	c.ok("create", "--name", "last", "busybox", "true")
	if got := c.ok("ps", "-n", "2", "--format", "{{.Names}}"); got != "last\nwriter\n" {
		t.Errorf("ps -n 2: %q", got)
	}
	if got := c.ok("ps", "-l", "--format", "{{.Names}} {{.State}}"); got != "last created\n" {
		t.Errorf("ps -l: %q", got)
	}
	if got := c.ok("ps", "-n", "1", "--filter", "status=exited", "--format", "{{.Names}}"); got != "first\n" {
		t.Errorf("ps -n 1 --filter status=exited: %q", got)
	}
	got := c.ok("ps", "-s", "--format", "{{.Names}} {{.Size}}")
	if !strings.HasPrefix(got, "writer 2B (virtual ") || !strings.HasSuffix(got, "B)\n") {
		t.Errorf("ps -s: %q", got)
	}
	table := strings.Split(c.ok("ps", "-s"), "\n")
	if !strings.HasSuffix(strings.TrimSpace(table[0]), "NAMES     SIZE") || !strings.Contains(table[1], "2B (virtual ") {
		t.Errorf("ps -s table: %q", table)
	}
	// .Size in a format measures even without -s, as in Docker.
	if got := c.ok("ps", "-a", "--filter", "name=last", "--format", "{{.Size}}"); !strings.HasPrefix(got, "0B (virtual ") {
		t.Errorf("ps --format {{.Size}}: %q", got)
	}
}

func TestPsNoPortsWhenExited(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "pub", "-p", "127.0.0.1::80", "busybox", "sleep", "1000")
	if got := c.ok("ps", "--format", "{{.Ports}}"); !strings.HasPrefix(got, "127.0.0.1:") || !strings.HasSuffix(got, "->80/tcp\n") {
		t.Fatalf("ps ports of a running container: %q", got)
	}
	c.ok("stop", "-t", "1", "pub")
	if got := c.ok("ps", "-a", "--format", "[{{.Ports}}]"); got != "[]\n" {
		t.Errorf("ps -a ports of an exited container: %q, want none", got)
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   engine.ContainerSize
		want string
	}{
		{engine.ContainerSize{SizeRw: 2, SizeRootFs: 4260000}, "2B (virtual 4.26MB)"},
		{engine.ContainerSize{SizeRw: 0, SizeRootFs: 1500}, "0B (virtual 1.5kB)"},
		{engine.ContainerSize{SizeRw: 12345678, SizeRootFs: 0}, "12.3MB"},
	}
	for _, tt := range tests {
		if got := formatSize(tt.in); got != tt.want {
			t.Errorf("formatSize(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPortsTextOnlyWhileRunning(t *testing.T) {
	c := &engine.Container{NetworkSettings: engine.NetworkSettings{Ports: engine.PortMap{
		"80/tcp": {{HostIP: "0.0.0.0", HostPort: "8080"}}, "53/udp": {{HostIP: "127.0.0.1", HostPort: "53"}}}}}
	tests := []struct {
		state engine.State
		want  string
	}{
		{engine.State{Status: "running", Running: true}, "0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp"},
		{engine.State{Status: "paused", Running: true, Paused: true}, "0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp"},
		{engine.State{Status: "exited"}, ""},
		{engine.State{Status: "created"}, ""},
		{engine.State{Status: "restarting", Running: true, Restarting: true}, ""},
	}
	for _, tt := range tests {
		c.State = tt.state
		if got := portsText(c); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.state.Status, got, tt.want)
		}
	}
}
