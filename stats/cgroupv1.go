package stats

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/cgroups/v3/cgroup1"
)

// v1Hierarchy returns the v1 controllers the Reader reads, rooted at root
// (the directory holding cpu, cpuacct, memory, pids, ...). Controllers whose
// directory does not exist are left out. blkio is read by readBlkioV1.
func v1Hierarchy(root string) cgroup1.Hierarchy {
	return func() ([]cgroup1.Subsystem, error) {
		all := []cgroup1.Subsystem{
			cgroup1.NewCpu(root),
			cgroup1.NewCpuacct(root),
			// Only memory.usage/limit are needed: skip memsw, kmem, kmem.tcp.
			cgroup1.NewMemory(root, cgroup1.IgnoreModules("memsw", "kmem", "kmem.tcp")),
			cgroup1.NewPids(root),
		}
		var enabled []cgroup1.Subsystem
		for _, s := range all {
			if _, err := os.Lstat(filepath.Join(root, string(s.Name()))); err == nil {
				enabled = append(enabled, s)
			}
		}
		return enabled, nil
	}
}

// readV1 fills s from the v1 controllers. found is false when the cgroup
// exists in no controller.
func (r *Reader) readV1(cgPath string, s *Sample) (found bool, err error) {
	cg, err := cgroup1.Load(cgroup1.StaticPath(cgPath), cgroup1.WithHierarchy(r.v1))
	if err != nil {
		if isNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("load cgroup %s: %w", cgPath, err)
	}
	m, err := cg.Stat(cgroup1.IgnoreNotExist)
	if err != nil {
		if isNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("stat cgroup %s: %w", cgPath, err)
	}
	if cpu := m.GetCPU(); cpu != nil {
		s.CPUUsageNS = cpu.GetUsage().GetTotal()
		s.NrThrottled = cpu.GetThrottling().GetThrottledPeriods()
		s.ThrottledNS = cpu.GetThrottling().GetThrottledTime()
	}
	if mem := m.GetMemory(); mem != nil {
		usage := mem.GetUsage().GetUsage()
		inactive := mem.GetTotalInactiveFile()
		if inactive < usage {
			usage -= inactive
		}
		s.MemUsage = usage
		s.MemLimit = r.memoryLimit(mem.GetUsage().GetLimit())
	}
	s.OOMKills = m.GetMemoryOomControl().GetOomKill()
	s.PIDs = m.GetPids().GetCurrent()
	s.PIDsLimit = m.GetPids().GetLimit()
	if err := r.readBlkioV1(cgPath, s); err != nil {
		return false, err
	}
	// A cgroup removed while it was read reads as gone, not half-filled.
	if !r.existsV1(cgPath) {
		return false, nil
	}
	return true, nil
}

// readBlkioV1 sums read and write bytes from
// blkio.throttle.io_service_bytes_recursive; a missing blkio controller or
// file reads as zero.
func (r *Reader) readBlkioV1(cgPath string, s *Sample) error {
	p := filepath.Join(r.root, "blkio", cgPath, "blkio.throttle.io_service_bytes_recursive")
	data, err := os.ReadFile(p)
	if err != nil {
		if isNotExist(err) {
			return nil
		}
		return fmt.Errorf("read %s: %w", p, err)
	}
	rd, wr, err := parseBlkioV1(data)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	s.BlkRead, s.BlkWrite = rd, wr
	return nil
}

// existsV1 reports whether cgPath exists in any of the read controllers.
func (r *Reader) existsV1(cgPath string) bool {
	for _, c := range []string{"cpuacct", "memory", "pids", "cpu"} {
		if _, err := os.Lstat(filepath.Join(r.root, c, cgPath)); err == nil {
			return true
		}
	}
	return false
}
