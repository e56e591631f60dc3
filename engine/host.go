package engine

import (
	"os"
	"runtime"
	"strconv"
	"strings"

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
	bounding    []string // this process's capability bounding set
}

func probeHost() hostInfo {
	h := hostInfo{cpus: runtime.NumCPU(), cgroup2: cgroups.IsCgroup2UnifiedMode()}
	_, err := os.Stat("/proc/self/ns/cgroup")
	h.cgroupNS = err == nil
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil {
		h.nofileHard = rl.Max
	}
	h.bounding = boundingSet()
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
		Bounding: h.bounding,
	}
}

// boundingSet reads CapBnd of this process: a container cannot get a
// capability its engine lacks (root in some sandboxes lacks a few).
func boundingSet() []string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return nil
			}
			return spec.CapsFromMask(mask)
		}
	}
	return nil
}
