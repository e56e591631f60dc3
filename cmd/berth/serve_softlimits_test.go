package main

import (
	"os"
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

// TestNamespaceModesThroughDocker: docker run --pid, --ipc and --uts reach
// berth: host namespaces, a debugging container in another's PID and IPC
// namespaces, and inspect showing the modes (IpcMode "private" by default,
// as dockerd 20.10).
func TestNamespaceModesThroughDocker(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if out := s.dockerOK("run", "--rm", "--uts", "host", "--pid", "host", "busybox", "hostname"); out != host+"\n" {
		t.Errorf("docker run --uts host hostname: %q, want %q", out, host)
	}
	s.dockerOK("run", "-d", "--name", "app", "--ipc", "shareable", "busybox", "sh", "-c", "echo data > /dev/shm/f; exec sleep 60")
	out := s.dockerOK("run", "--rm", "--pid", "container:app", "--ipc", "container:app", "busybox", "sh", "-c",
		"for i in 1 2 3 4 5; do [ -e /dev/shm/f ] && break; sleep 0.2; done; cat /dev/shm/f; ps -o pid,comm | grep sleep")
	if f := strings.Fields(out); len(f) != 3 || f[0] != "data" || f[1] != "1" || f[2] != "sleep" {
		t.Errorf("debugging container in app's namespaces: %q", out)
	}
	if out := s.dockerOK("inspect", "-f", "{{.HostConfig.PidMode}}/{{.HostConfig.IpcMode}}/{{.HostConfig.UTSMode}}", "app"); out != "/shareable/\n" {
		t.Errorf("inspect app's modes: %q", out)
	}
	s.dockerOK("run", "-d", "--name", "plain", "busybox", "sleep", "60")
	if out := s.dockerOK("inspect", "-f", "{{.HostConfig.IpcMode}}", "plain"); out != "private\n" {
		t.Errorf("inspect plain's IpcMode: %q", out)
	}
	s.dockerOK("rm", "-f", "app", "plain")
}
