package main

import (
	"os"
	"strings"
	"testing"
)

// TestSysctl: --sysctl sets a namespaced sysctl in the container only, and
// inspect shows it; one that is not namespaced, or net.* in the host's
// network namespace, is refused at create, naming the key.
func TestSysctl(t *testing.T) {
	c := newCLI(t)
	host, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		t.Skip(err)
	}
	want := "0"
	if strings.TrimSpace(string(host)) == "0" {
		want = "80"
	}
	id := strings.TrimSpace(c.ok("create", "--sysctl", "net.ipv4.ip_unprivileged_port_start="+want,
		"--sysctl", "kernel.shmmni=1024", "busybox", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start", "/proc/sys/kernel/shmmni"))
	if got := c.ok("start", "-a", id); got != want+"\n1024\n" {
		t.Errorf("in the container: %q, want %q", got, want+"\n1024\n")
	}
	inspect := strings.TrimSpace(c.ok("inspect", "-f", "{{json .HostConfig.Sysctls}}", id))
	if inspect != `{"kernel.shmmni":"1024","net.ipv4.ip_unprivileged_port_start":"`+want+`"}` {
		t.Errorf("inspect Sysctls: %s", inspect)
	}
	if after, _ := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); string(after) != string(host) {
		t.Errorf("the host's value changed: %q, was %q", after, host)
	}
	c.ok("rm", id)
	refusedAll(t, c, map[string]string{
		"run --rm --sysctl foo busybox true":                                  `invalid --sysctl "foo"`,
		"run --rm --sysctl =1 busybox true":                                   `invalid --sysctl "=1"`,
		"run --rm --sysctl kernel.hostname=x busybox true":                    "sysctl kernel.hostname is not allowed",
		"create --sysctl vm.swappiness=1 busybox true":                        "sysctl vm.swappiness is not allowed",
		"run --rm --network host --sysctl net.ipv4.ip_forward=1 busybox true": "sysctl net.ipv4.ip_forward is not allowed in the network namespace of the host",
		"run --rm --sysctl net..x=1 busybox true":                             `sysctl "net..x" is not a valid name`,
		"run --rm --sysctl net.ipv4.ip_forward= busybox true":                 "sysctl net.ipv4.ip_forward has the value",
	})
}
