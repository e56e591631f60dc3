package stats

import (
	"fmt"
	"os"
	"path/filepath"
)

// readV1 fills s from the v1 controllers, reading each counter file
// directly (the cgroup1 library's Stat reads three cpuacct files where one
// is needed and starts a goroutine per controller: most of a sample's cost
// with 100 containers at 1 Hz). found is false when the cgroup exists in no
// controller (also when it was removed while being read).
func (r *Reader) readV1(cgPath string, s *Sample) (found bool, err error) {
	for _, f := range []struct {
		controller, file, key string
		dst                   *uint64
	}{
		{"cpuacct", "cpuacct.usage", "", &s.CPUUsageNS},
		{"cpu", "cpu.stat", "nr_throttled", &s.NrThrottled},
		{"cpu", "cpu.stat", "throttled_time", &s.ThrottledNS},
		{"pids", "pids.current", "", &s.PIDs},
		{"pids", "pids.max", "", &s.PIDsLimit},
	} {
		ok, err := r.readV1Value(filepath.Join(r.root, f.controller, cgPath, f.file), f.key, f.dst)
		if err != nil {
			return false, err
		}
		found = found || ok
	}
	if err := r.readMemoryV1(cgPath, s); err != nil {
		return false, err
	}
	if err := r.readBlkioV1(cgPath, s); err != nil {
		return false, err
	}
	return found || r.existsV1(cgPath), nil
}

// readV1Value reads one value (the file's only value, or the one under key)
// into dst. A file that does not exist reads as zero with ok false.
func (r *Reader) readV1Value(p, key string, dst *uint64) (ok bool, err error) {
	data, err := os.ReadFile(p)
	if err != nil {
		if isNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("read %s: %w", p, err)
	}
	if *dst, err = parseCgroupValue(data, key); err != nil {
		return false, fmt.Errorf("read %s: %w", p, err)
	}
	return true, nil
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
	s.MemCgroupUsage, s.MemInactiveFile = usage, inactive
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
