package stats

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3"
)

// Detail are the counters Docker's stats API reports beyond docker stats'
// columns, read by a Reader made WithDetail. On cgroup v2 the kernel has no
// per-CPU time, high-water mark or fail count: those stay empty, as dockerd
// leaves them.
type Detail struct {
	// PerCPUNS is the CPU time spent on each CPU (cgroup v1's
	// cpuacct.usage_percpu), in nanoseconds.
	PerCPUNS []uint64
	// UserNS and SystemNS split the CPU time into user and kernel mode.
	UserNS, SystemNS uint64
	// MemMaxUsage is the highest memory usage (v1 max_usage_in_bytes);
	// MemFailcnt how often the limit was hit (v1 failcnt).
	MemMaxUsage, MemFailcnt uint64
	// MemStat is memory.stat, key by key.
	MemStat map[string]uint64
}

// userHZ is the unit of cgroup v1's cpuacct.stat (USER_HZ, 100 on Linux).
const userHZ = 100

// readDetail reads the Detail of the cgroup at cgPath; missing files (a
// controller not mounted, a cgroup removed meanwhile) read as zero.
func (r *Reader) readDetail(cgPath string) (*Detail, error) {
	d := &Detail{}
	if r.mode == cgroups.Unified {
		dir := filepath.Join(r.root, cgPath)
		cpu, err := readOptional(filepath.Join(dir, "cpu.stat"))
		if err != nil {
			return nil, err
		}
		stat := parseStatFile(cpu)
		d.UserNS, d.SystemNS = stat["user_usec"]*1000, stat["system_usec"]*1000
		mem, err := readOptional(filepath.Join(dir, "memory.stat"))
		if err != nil {
			return nil, err
		}
		d.MemStat = parseStatFile(mem)
		return d, nil
	}
	files := map[string][]byte{}
	for _, f := range []string{"cpuacct/cpuacct.usage_percpu", "cpuacct/cpuacct.stat", "memory/memory.max_usage_in_bytes",
		"memory/memory.failcnt", "memory/memory.stat"} {
		ctl, name, _ := strings.Cut(f, "/")
		b, err := readOptional(filepath.Join(r.root, ctl, cgPath, name))
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
	for _, f := range strings.Fields(string(files["cpuacct.usage_percpu"])) {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse cpuacct.usage_percpu: %w", err)
		}
		d.PerCPUNS = append(d.PerCPUNS, n)
	}
	acct := parseStatFile(files["cpuacct.stat"])
	d.UserNS, d.SystemNS = acct["user"]*(1e9/userHZ), acct["system"]*(1e9/userHZ)
	d.MemMaxUsage, _ = parseCgroupValue(files["memory.max_usage_in_bytes"], "")
	d.MemFailcnt, _ = parseCgroupValue(files["memory.failcnt"], "")
	d.MemStat = parseStatFile(files["memory.stat"])
	return d, nil
}

// readOptional reads a file that may not exist (nil, no error).
func readOptional(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil && !isNotExist(err) {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// parseStatFile reads "key value" lines (memory.stat, cpu.stat,
// cpuacct.stat); lines that do not parse are skipped.
func parseStatFile(data []byte) map[string]uint64 {
	out := map[string]uint64{}
	for line := range bytes.Lines(data) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte{' '})
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			out[string(k)] = n
		}
	}
	return out
}
