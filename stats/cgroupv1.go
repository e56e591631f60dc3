package stats

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/cgroups/v3/cgroup1"
)

// v1Hierarchy returns the v1 controllers read through cgroup1, rooted at root
// (the directory holding cpu, cpuacct, memory, pids, ...). Controllers whose
// directory does not exist are left out. Memory and blkio are read by
// readMemoryV1 and readBlkioV1: the library's memory Stat reads six files
// more than needed (max usage, failcnt, ...), a third of a sample's cost.
func v1Hierarchy(root string) cgroup1.Hierarchy {
	return func() ([]cgroup1.Subsystem, error) {
		all := []cgroup1.Subsystem{cgroup1.NewCpu(root), cgroup1.NewCpuacct(root), cgroup1.NewPids(root)}
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
// exists in no controller (also when it was removed while being read).
func (r *Reader) readV1(cgPath string, s *Sample) (found bool, err error) {
	cg, err := cgroup1.Load(cgroup1.StaticPath(cgPath), cgroup1.WithHierarchy(r.v1))
	switch {
	case err == nil:
		m, err := cg.Stat(cgroup1.IgnoreNotExist)
		if err != nil && !isNotExist(err) {
			return false, fmt.Errorf("stat cgroup %s: %w", cgPath, err)
		}
		if cpu := m.GetCPU(); cpu != nil {
			s.CPUUsageNS = cpu.GetUsage().GetTotal()
			s.NrThrottled = cpu.GetThrottling().GetThrottledPeriods()
			s.ThrottledNS = cpu.GetThrottling().GetThrottledTime()
		}
		s.PIDs = m.GetPids().GetCurrent()
		s.PIDsLimit = m.GetPids().GetLimit()
	case !isNotExist(err):
		return false, fmt.Errorf("load cgroup %s: %w", cgPath, err)
	}
	if err := r.readMemoryV1(cgPath, s); err != nil {
		return false, err
	}
	if err := r.readBlkioV1(cgPath, s); err != nil {
		return false, err
	}
	return r.existsV1(cgPath), nil
}

// readMemoryV1 fills memory usage (minus inactive file cache), limit and OOM
// kills from the memory controller; a missing controller or cgroup reads as
// zero.
func (r *Reader) readMemoryV1(cgPath string, s *Sample) error {
	dir := filepath.Join(r.root, "memory", cgPath)
	var usage, limit, inactive, oomKills uint64
	for _, f := range []struct {
		file, key string
		dst       *uint64
	}{
		{"memory.usage_in_bytes", "", &usage},
		{"memory.limit_in_bytes", "", &limit},
		{"memory.stat", "total_inactive_file", &inactive},
		{"memory.oom_control", "oom_kill", &oomKills},
	} {
		p := filepath.Join(dir, f.file)
		data, err := os.ReadFile(p)
		if err != nil {
			if isNotExist(err) {
				return nil
			}
			return fmt.Errorf("read %s: %w", p, err)
		}
		if *f.dst, err = parseCgroupValue(data, f.key); err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
	}
	if inactive < usage {
		usage -= inactive
	}
	s.MemUsage, s.MemLimit, s.OOMKills = usage, r.memoryLimit(limit), oomKills
	return nil
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
	for _, c := range []string{"cpuacct", "memory", "pids", "cpu", "blkio"} {
		if _, err := os.Lstat(filepath.Join(r.root, c, cgPath)); err == nil {
			return true
		}
	}
	return false
}
