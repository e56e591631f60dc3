package stats

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/containerd/cgroups/v3/cgroup2"
)

// v2Stats are the cgroup2 files the Reader needs.
const v2Stats = cgroup2.StatPids | cgroup2.StatCPU | cgroup2.StatMemory |
	cgroup2.StatMemoryEvents | cgroup2.StatIO

// readV2 fills s from the unified hierarchy. found is false when the cgroup
// directory does not exist.
func (r *Reader) readV2(cgPath string, s *Sample) (found bool, err error) {
	dir := filepath.Join(r.root, cgPath)
	if _, err := os.Lstat(dir); err != nil {
		if isNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("stat cgroup %s: %w", dir, err)
	}
	mgr, err := cgroup2.Load(cgPath, cgroup2.WithMountpoint(r.root))
	if err != nil {
		return false, fmt.Errorf("load cgroup %s: %w", cgPath, err)
	}
	m, err := mgr.StatFiltered(v2Stats)
	if err != nil {
		if isNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("stat cgroup %s: %w", cgPath, err)
	}
	cpu := m.GetCPU()
	s.CPUUsageNS = cpu.GetUsageUsec() * 1000
	s.NrThrottled = cpu.GetNrThrottled()
	s.ThrottledNS = cpu.GetThrottledUsec() * 1000
	if mem := m.GetMemory(); mem != nil {
		usage := mem.GetUsage()
		s.MemCgroupUsage, s.MemInactiveFile = usage, mem.GetInactiveFile()
		if inactive := mem.GetInactiveFile(); inactive < usage {
			usage -= inactive
		}
		s.MemUsage = usage
		limit := mem.GetUsageLimit()
		if limit == math.MaxUint64 {
			limit = 0
		}
		s.MemLimit = r.memoryLimit(limit)
	}
	s.OOMKills = m.GetMemoryEvents().GetOomKill()
	s.PIDs = m.GetPids().GetCurrent()
	s.PIDsLimit = m.GetPids().GetLimit()
	if s.PIDsLimit == math.MaxUint64 {
		s.PIDsLimit = 0
	}
	for _, e := range m.GetIo().GetUsage() {
		s.BlkRead += e.GetRbytes()
		s.BlkWrite += e.GetWbytes()
	}
	if _, err := os.Lstat(dir); err != nil {
		return false, nil
	}
	return true, nil
}
