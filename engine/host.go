package engine

import (
	"os"
	"runtime"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"

	"berth/engine/spec"
)

// hostInfo is what the engine learns of the host once per process.
type hostInfo struct {
	cgroupNS    bool
	cgroup2     bool
	swapAccount bool
	nofileHard  uint64
	cpus        int
}

func probeHost() hostInfo {
	h := hostInfo{cpus: runtime.NumCPU(), cgroup2: cgroups.IsCgroup2UnifiedMode()}
	_, err := os.Stat("/proc/self/ns/cgroup")
	h.cgroupNS = err == nil
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil {
		h.nofileHard = rl.Max
	}
	if h.cgroup2 {
		h.swapAccount = true
	} else {
		_, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
		h.swapAccount = err == nil
	}
	return h
}

func (h hostInfo) spec(containerDir string) spec.Host {
	return spec.Host{
		CgroupNS: h.cgroupNS, Cgroup2: h.cgroup2, SwapAccount: h.swapAccount,
		NofileHard: h.nofileHard, OnlineCPUs: h.cpus, ContainerDir: containerDir,
	}
}
