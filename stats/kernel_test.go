package stats

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/cgroups/v3"
)

// The live tests judge the Reader's figures against the kernel's own
// counters, read here without the package's parsers, before and after each
// Read. The counters only grow, so what the Reader read lies between the two
// readings, and a percentage computed from two Reads lies between bounds
// computed from the four readings around them, however loaded the machine is.

// kernelCPU is one reading of the kernel's counters for a test cgroup.
type kernelCPU struct {
	cgroupNS    uint64 // the cgroup's CPU time (cpuacct.usage, or cpu.stat usage_usec)
	systemNS    uint64 // the host's: the first seven fields of /proc/stat's cpu line
	cpus        int    // cpuN lines in /proc/stat
	nrThrottled uint64 // cpu.stat nr_throttled
	throttledNS uint64 // cpu.stat throttled_time (v1, ns) or throttled_usec (v2)
}

// readKernelCPU reads c's CPU counters and the host's CPU time.
func readKernelCPU(t *testing.T, c *testCgroup) kernelCPU {
	t.Helper()
	var k kernelCPU
	if c.mode == cgroups.Unified {
		st := readKeyed(t, filepath.Join(c.dirs[""], "cpu.stat"))
		k.cgroupNS, k.nrThrottled, k.throttledNS = st["usage_usec"]*1000, st["nr_throttled"], st["throttled_usec"]*1000
	} else {
		k.cgroupNS = readUint(t, filepath.Join(c.dirs["cpuacct"], "cpuacct.usage"))
		st := readKeyed(t, filepath.Join(c.dirs["cpu"], "cpu.stat"))
		k.nrThrottled, k.throttledNS = st["nr_throttled"], st["throttled_time"]
	}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 7 && f[0] == "cpu":
			for _, v := range f[1:8] {
				k.systemNS += mustUint(t, v) * (1e9 / userHZ)
			}
		case len(f) > 0 && strings.HasPrefix(f[0], "cpu"):
			k.cpus++
		}
	}
	return k
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func readUint(t *testing.T, path string) uint64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return mustUint(t, string(data))
}

// readKeyed reads a "key value" per line file.
func readKeyed(t *testing.T, path string) map[string]uint64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			m[f[0]] = mustUint(t, f[1])
		}
	}
	return m
}

// bracketed is a Read with the kernel's readings just before and after it.
type bracketed struct {
	before, after kernelCPU
	s             Sample
}

// readBracketed reads tg between two kernel readings and checks that the raw
// counters the Reader returned lie between them.
func readBracketed(t *testing.T, r *Reader, c *testCgroup, tg Target) bracketed {
	t.Helper()
	var b bracketed
	b.before = readKernelCPU(t, c)
	s, err := r.Read(tg)
	if err != nil {
		t.Fatal(err)
	}
	b.after = readKernelCPU(t, c)
	b.s = s
	for _, v := range []struct {
		name           string
		got, low, high uint64
	}{
		{"cgroup CPU ns", s.CPUUsageNS, b.before.cgroupNS, b.after.cgroupNS},
		{"system CPU ns", s.SystemUsageNS, b.before.systemNS, b.after.systemNS},
		{"throttled periods", s.NrThrottled, b.before.nrThrottled, b.after.nrThrottled},
		{"throttled ns", s.ThrottledNS, b.before.throttledNS, b.after.throttledNS},
	} {
		if v.got < v.low || v.got > v.high {
			t.Errorf("%s = %d, the kernel read %d before and %d after", v.name, v.got, v.low, v.high)
		}
	}
	if s.OnlineCPUs != b.before.cpus {
		t.Errorf("online CPUs = %d, /proc/stat lists %d", s.OnlineCPUs, b.before.cpus)
	}
	return b
}

// cpuBounds are the lowest and highest CPU % the kernel's counters allow
// between a Read inside prev and a Read inside cur.
func cpuBounds(prev, cur bracketed) (lo, hi float64) {
	n := float64(cur.after.cpus) * 100
	ratio := func(cpu, sys int64) float64 {
		if sys <= 0 {
			return math.Inf(1)
		}
		return float64(max(cpu, 0)) / float64(sys) * n
	}
	lo = ratio(int64(cur.before.cgroupNS-prev.after.cgroupNS), int64(cur.after.systemNS-prev.before.systemNS))
	hi = ratio(int64(cur.after.cgroupNS-prev.before.cgroupNS), int64(cur.before.systemNS-prev.after.systemNS))
	return lo, hi
}

// String shows a bracket for failure messages.
func (b bracketed) String() string {
	return fmt.Sprintf("cgroup %d..%d ns, system %d..%d ns", b.before.cgroupNS, b.after.cgroupNS,
		b.before.systemNS, b.after.systemNS)
}
