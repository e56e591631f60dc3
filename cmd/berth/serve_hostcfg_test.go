package main

import (
	"strings"
	"testing"
)

// TestServeHostConfigDockerCLI: docker run's --shm-size, --sysctl,
// --dns-search, --dns-option and --oom-score-adj reach the container
// through berth serve, and docker inspect shows them; a net.* sysctl
// with the host's network is a 400 naming the key, and nothing is created.
func TestServeHostConfigDockerCLI(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	id := strings.TrimSpace(s.dockerOK("create", "--shm-size", "128m", "--sysctl", "net.ipv4.ip_unprivileged_port_start=0",
		"--dns-search", "a.test", "--dns-option", "timeout:2", "--oom-score-adj", "400", "busybox", "sh", "-c",
		"df -k /dev/shm | tail -1; cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/1/oom_score_adj; grep -E '^(search|options)' /etc/resolv.conf"))
	got := strings.TrimSpace(s.dockerOK("inspect", "-f",
		"{{.HostConfig.ShmSize}} {{json .HostConfig.Sysctls}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}} {{.HostConfig.OomScoreAdj}}", id))
	if want := `134217728 {"net.ipv4.ip_unprivileged_port_start":"0"} ["a.test"] ["timeout:2"] 400`; got != want {
		t.Errorf("inspect: %s, want %s", got, want)
	}
	out := s.dockerOK("start", "-a", id)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], " 131072 ") || lines[1] != "0" || lines[2] != "400" ||
		lines[3] != "search a.test" || lines[4] != "options timeout:2" {
		t.Errorf("in the container:\n%s", out)
	}
	s.dockerOK("rm", id)
	_, errOut, code := s.docker("", "run", "--rm", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "true")
	if code == 0 || !strings.Contains(errOut, "sysctl net.ipv4.ip_forward is not allowed") {
		t.Errorf("docker run --network host --sysctl net.ipv4.ip_forward=1: exit %d %q", code, errOut)
	}
	if out := s.dockerOK("ps", "-aq"); out != "" {
		t.Errorf("a refused create left containers: %q", out)
	}
}
