package engine_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/cgroups/v3"

	"berth/engine"
	"berth/stats"
)

// kernelCPU is one reading of the kernel's own counters for a container,
// made here without the stats package: its cgroup's CPU time and
// throttling, and the host's CPU time (the first seven fields of /proc/stat's
// cpu line) and CPU count.
type kernelCPU struct {
	cgroupNS, systemNS, nrThrottled, throttledNS uint64
	cpus                                         int
}

// readKernelCPU reads the counters of the cgroup at cg ("/berth/<id>").
func readKernelCPU(t *testing.T, cg string) kernelCPU {
	t.Helper()
	var k kernelCPU
	if cgroups.Mode() == cgroups.Unified {
		st := readKeyed(t, filepath.Join("/sys/fs/cgroup", cg, "cpu.stat"))
		k.cgroupNS, k.nrThrottled, k.throttledNS = st["usage_usec"]*1000, st["nr_throttled"], st["throttled_usec"]*1000
	} else {
		data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/cpuacct", cg, "cpuacct.usage"))
		if err != nil {
			t.Fatal(err)
		}
		k.cgroupNS = parseUint(t, string(data))
		st := readKeyed(t, filepath.Join("/sys/fs/cgroup/cpu", cg, "cpu.stat"))
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
				k.systemNS += parseUint(t, v) * 1e7 // USER_HZ ticks of 10 ms
			}
		case len(f) > 0 && strings.HasPrefix(f[0], "cpu"):
			k.cpus++
		}
	}
	return k
}

func parseUint(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
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
			m[f[0]] = parseUint(t, f[1])
		}
	}
	return m
}

// TestStatsCPU judges a stream's CPU figures for a busy loop against the
// kernel's counters, read by the test, not against a constant (a loaded
// machine gives the loop less than a core). The stream's channel is
// unbuffered, so the stream's k-th read comes after the test has received
// batch k-1 and before it receives batch k: it lies between the kernel
// readings the test makes after receiving batch k-2 (or before the stream
// starts) and after receiving batch k. The counters only grow, so each
// sample's counters must lie between those readings, and its CPU % must be
// docker's figure over the interval between its counters and the previous
// sample's.
func TestStatsCPU(t *testing.T) {
	e := newEngine(t)
	for _, tc := range []struct {
		name     string
		nanoCPUs int64
	}{
		{"one-core", 0},
		{"half-core", 5e8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := opts("sh", "-c", "while :; do :; done")
			o.HostConfig.NanoCPUs = tc.nanoCPUs
			c := startDetached(t, e, "burn-"+tc.name, o)
			defer e.Remove(context.Background(), c.ID, engine.RemoveOptions{Force: true})
			samples, low, high := streamWithKernel(t, e, c.ID, 4)
			for k, s := range samples {
				checkCountersBetween(t, k, s, low[k], high[k])
				if k == 0 {
					if s.CPUPercent != 0 {
						t.Errorf("sample 0: CPU %.2f%% without a previous sample, want 0", s.CPUPercent)
					}
					continue
				}
				p := samples[k-1]
				want := float64(s.CPUUsageNS-p.CPUUsageNS) / float64(s.SystemUsageNS-p.SystemUsageNS) * float64(low[k].cpus) * 100
				t.Logf("sample %d: CPU %.2f%%, from its counters %.2f%%", k, s.CPUPercent, want)
				if math.Abs(s.CPUPercent-want) > 1e-9*want {
					t.Errorf("sample %d: CPU %.4f%%, the counters it read give %.4f%% (cgroup %d → %d ns, system %d → %d ns)",
						k, s.CPUPercent, want, p.CPUUsageNS, s.CPUUsageNS, p.SystemUsageNS, s.SystemUsageNS)
				}
			}
		})
	}
}

// streamWithKernel reads n batches of a 1 s stats stream of id and returns
// id's samples with, for each, kernel readings made before and after the
// stream read it.
func streamWithKernel(t *testing.T, e *engine.Engine, id string, n int) (samples []stats.Sample, low, high []kernelCPU) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound against a hang
	defer cancel()
	cg := engine.CgroupPath(id)
	start := readKernelCPU(t, cg)
	out, errs, err := e.Stats(ctx, []string{id}, engine.StatsOptions{Stream: true, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for len(samples) < n {
		b, ok := <-out
		if !ok {
			t.Fatalf("stream ended after %d batches: %v", len(samples), <-errs)
		}
		high = append(high, readKernelCPU(t, cg))
		samples = append(samples, entry(t, b, id).Sample)
		if k := len(samples) - 1; k < 2 {
			low = append(low, start)
		} else {
			low = append(low, high[k-2])
		}
	}
	cancel()
	for range out {
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	return samples, low, high
}

// checkCountersBetween fails unless sample k's counters lie between the
// kernel's readings lo and hi, and its CPU count is the host's.
func checkCountersBetween(t *testing.T, k int, s stats.Sample, lo, hi kernelCPU) {
	t.Helper()
	for _, v := range []struct {
		name           string
		got, low, high uint64
	}{
		{"cgroup CPU ns", s.CPUUsageNS, lo.cgroupNS, hi.cgroupNS},
		{"system CPU ns", s.SystemUsageNS, lo.systemNS, hi.systemNS},
		{"throttled periods", s.NrThrottled, lo.nrThrottled, hi.nrThrottled},
		{"throttled ns", s.ThrottledNS, lo.throttledNS, hi.throttledNS},
	} {
		if v.got < v.low || v.got > v.high {
			t.Errorf("sample %d: %s = %d, the kernel read %d before and %d after", k, v.name, v.got, v.low, v.high)
		}
	}
	if s.OnlineCPUs != lo.cpus {
		t.Errorf("sample %d: online CPUs = %d, /proc/stat lists %d", k, s.OnlineCPUs, lo.cpus)
	}
}
