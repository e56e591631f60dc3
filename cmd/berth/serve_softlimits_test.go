package main

import (
	"strings"
	"testing"
)

// softLimitsScript prints, inside a container, its memory reservation, CFS
// period and quota from its cgroup, on cgroup v1 or v2 (cpu.max is
// "QUOTA PERIOD"), as "RESERVATION PERIOD QUOTA".
const softLimitsScript = `if [ -e /sys/fs/cgroup/memory/memory.soft_limit_in_bytes ]; then
  echo $(cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.cfs_quota_us)
else
  read q p < /sys/fs/cgroup/cpu.max; echo $(cat /sys/fs/cgroup/memory.low) $p $q
fi`

// TestSoftLimitsThroughDocker: docker run --memory-reservation, --cpu-period
// and --cpu-quota reach the container's cgroup and inspect; docker update
// changes them on the running container; bad values are refused in dockerd's
// words, as berth's own CLI does.
func TestSoftLimitsThroughDocker(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	out := s.dockerOK("run", "--rm", "--memory-reservation", "16m", "--cpu-period", "50000", "--cpu-quota", "25000",
		"busybox", "sh", "-c", softLimitsScript)
	if out != "16777216 50000 25000\n" {
		t.Errorf("cgroup of docker run --memory-reservation 16m --cpu-period 50000 --cpu-quota 25000: %q", out)
	}
	s.dockerOK("run", "-d", "--name", "soft", "--memory-reservation", "16m", "--cpu-quota", "30000", "busybox", "sleep", "60")
	if got := s.dockerOK("inspect", "-f", "{{.HostConfig.MemoryReservation}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}}", "soft"); got != "16777216 0 30000\n" {
		t.Errorf("inspect: %q", got)
	}
	s.dockerOK("update", "--memory-reservation", "32m", "--cpu-period", "200000", "--cpu-quota", "100000", "soft")
	if got := s.dockerOK("exec", "soft", "sh", "-c", softLimitsScript); got != "33554432 200000 100000\n" {
		t.Errorf("cgroup after docker update: %q", got)
	}
	s.ok("update", "--cpu-quota", "50000", "soft")
	if got := s.ok("exec", "soft", "sh", "-c", softLimitsScript); got != "33554432 200000 50000\n" {
		t.Errorf("cgroup after berth update: %q", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cpus", "0.5", "--cpu-quota", "50000"}, "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
		{[]string{"--cpu-period", "10"}, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{[]string{"-m", "16m", "--memory-reservation", "32m"}, "Minimum memory limit can not be less than memory reservation limit, see usage"},
	} {
		args := append(append([]string{"run", "--rm"}, tc.args...), "busybox", "true")
		if _, errOut, code := s.docker("", args...); code != 125 || !strings.Contains(errOut, "Error response from daemon: "+tc.want+"\n") {
			t.Errorf("docker %v: exit %d %q, want %q", args, code, errOut, tc.want)
		}
		if _, errOut, code := s.run("", args...); code != 125 || errOut != "berth: "+tc.want+"\n" {
			t.Errorf("berth %v: exit %d %q, want %q", args, code, errOut, tc.want)
		}
	}
	s.ok("rm", "-f", "soft")
}
