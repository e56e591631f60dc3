package xray

import (
	"os"
	"path/filepath"
	"strings"
)

// v1Files are the cgroup v1 limit and usage files, by controller.
var v1Files = []string{
	"memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes", "memory/memory.max_usage_in_bytes",
	"cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us", "cpu/cpu.shares",
	"pids/pids.max", "pids/pids.current", "cpuset/cpuset.cpus",
}

// v2Files are the cgroup v2 limit and usage files.
var v2Files = []string{
	"memory.max", "memory.current", "memory.swap.max", "cpu.max", "cpu.weight",
	"pids.max", "pids.current", "cpuset.cpus.effective",
}

// cgroupFiles reads whichever limit files exist for the cgroup path under root.
func cgroupFiles(root, path string) (v2 bool, out []CgroupFile) {
	_, err := os.Stat(filepath.Join(root, "cgroup.controllers"))
	v2 = err == nil
	names := v1Files
	if v2 {
		names = v2Files
	}
	for _, n := range names {
		var p string
		if v2 {
			p = filepath.Join(root, path, n)
		} else {
			ctrl, file, _ := strings.Cut(n, "/")
			p = filepath.Join(root, ctrl, path, file)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		v, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		out = append(out, CgroupFile{Name: n, Value: v})
	}
	return v2, out
}

// File returns the value of the cgroup file whose name ends with suffix.
func (r Report) File(suffix string) (string, bool) {
	for _, f := range r.Cgroup {
		if strings.HasSuffix(f.Name, suffix) {
			return f.Value, true
		}
	}
	return "", false
}
