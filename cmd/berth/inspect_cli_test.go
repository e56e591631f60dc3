package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// swapAccounting says whether this host limits memory+swap (Docker reports
// twice --memory as MemorySwap there, -1 elsewhere).
func swapAccounting() bool {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return true
	}
	_, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
	return err == nil
}

// TestInspectFormatLikeDocker runs docker's inspect templates against a real
// container: integers print as integers, MemorySwap has Docker's default, the
// default-bridge NetworkSettings fields are filled, and docker's template
// functions behave as docker's.
func TestInspectFormatLikeDocker(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("run", "-d", "--name", "web", "-m", "64m", "--cpus", "0.5", "--pids-limit", "50",
		"-p", "127.0.0.1::80", "-v", "/data", "-l", "tier=front", "busybox", "sleep", "100"))
	swap := "-1"
	if swapAccounting() {
		swap = strconv.Itoa(2 * 64 << 20)
	}
	mac := regexp.MustCompile(`^([0-9a-f]{2}:){5}[0-9a-f]{2}$`)
	ipv4 := regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
	ip := c.ok("inspect", "-f", `{{(index .NetworkSettings.Networks "bridge").IPAddress}}`, "web")
	tests := []struct{ format, want string }{
		{"{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}",
			"67108864 500000000 " + swap + " 50"},
		{"{{.Id}} {{.Name}} {{.State.Status}} {{.Config.Image}}", id + " /web running busybox"},
		{"{{.NetworkSettings.IPAddress}}", strings.TrimSpace(ip)},
		{"{{range .Mounts}}{{.Type}} {{.Destination}} {{.RW}}{{end}}", "volume /data true"},
		{"{{json .Config.Labels}} {{json .Config.Cmd}}", `{"tier":"front"} ["sleep","100"]`},
		{`{{join .Args ","}}|{{upper .State.Status}}|{{lower "AbC"}}|{{title "hello world"}}|{{pad .Path 1 2}}|{{pad "" 1 1}}|{{truncate .Id 12}}|{{split "a,b" ","}}`,
			"100|RUNNING|abc|Hello World| sleep  ||" + id[:12] + "|[a b]"},
		{`{{println .Name}}`, "/web"},
	}
	for _, tt := range tests {
		if got := strings.TrimSuffix(c.ok("inspect", "-f", tt.format, "web"), "\n"); got != tt.want {
			t.Errorf("inspect -f %q = %q, want %q", tt.format, got, tt.want)
		}
	}
	if !ipv4.MatchString(strings.TrimSpace(ip)) {
		t.Errorf("bridge IPAddress %q", ip)
	}
	gw := strings.Fields(c.ok("inspect", "-f", "{{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.IPPrefixLen}}", "web"))
	if len(gw) != 3 || !ipv4.MatchString(gw[0]) || !mac.MatchString(gw[1]) || gw[2] == "0" {
		t.Errorf("Gateway, MacAddress, IPPrefixLen: %q", gw)
	}
	if got := c.ok("inspect", "-f", `{{index .NetworkSettings.Networks "bridge"}}`, "web"); !strings.Contains(got, strings.TrimSpace(ip)) {
		t.Errorf("index .NetworkSettings.Networks \"bridge\" = %q", got)
	}

	// --format json is one compact JSON array whose numbers are integers.
	out := c.ok("inspect", "--format", "json", "web")
	var arr []struct{ HostConfig struct{ Memory json.Number } }
	if strings.Count(out, "\n") != 1 || json.Unmarshal([]byte(out), &arr) != nil || len(arr) != 1 || arr[0].HostConfig.Memory != "67108864" {
		t.Errorf("inspect --format json: %.200q", out)
	}
	// --memory-swap -1 stays -1.
	c.ok("create", "--name", "unl", "-m", "64m", "--memory-swap", "-1", "busybox", "true")
	if got := c.ok("inspect", "-f", "{{.HostConfig.MemorySwap}}", "unl"); got != "-1\n" {
		t.Errorf("--memory-swap -1: MemorySwap %q", got)
	}
	// Images too: a field named as in the JSON (.Id) with a number.
	if got := c.ok("image", "inspect", "-f", "{{.Id}} {{.Size}}", "busybox"); !regexp.MustCompile(`^sha256:[0-9a-f]{64} [0-9]+\n$`).MatchString(got) {
		t.Errorf("image inspect -f '{{.Id}} {{.Size}}' = %q", got)
	}
}
