package stats

import (
	"syscall"
	"testing"
)

// BenchmarkSample100 reads 100 test cgroups (all controllers the Reader
// reads, empty) once per op through a Sampler, as `berth stats` does each
// tick. cpu-ns/op is the process CPU time (user+system,
// getrusage) per op, which counts parallel goroutines; cpu-ns/op ÷ 1e9 × 100
// is the CPU % of one core at 1 Hz (reported as %core@1Hz). The netns case
// also reads network counters from a test network namespace per target.
func BenchmarkSample100(b *testing.B) {
	r := liveReader(b)
	targets := make([]Target, 100)
	for i := range targets {
		c := newTestCgroup(b, r)
		targets[i] = Target{ID: c.path, CgroupPath: c.path}
	}
	run := func(b *testing.B, ts []Target) {
		s := NewSampler(r, 0, 60)
		s.SetTargets(ts)
		s.SampleOnce()
		b.ReportAllocs()
		var before, after syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
		for b.Loop() {
			for _, smp := range s.SampleOnce() {
				if smp.Err != nil {
					b.Fatal(smp.Err)
				}
			}
		}
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		cpuNS := float64(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / float64(b.N)
		b.ReportMetric(cpuNS, "cpu-ns/op")
		b.ReportMetric(cpuNS/1e9*100, "%core@1Hz")
	}
	b.Run("cgroup", func(b *testing.B) { run(b, targets) })
	b.Run("cgroup+netns", func(b *testing.B) {
		a, _ := testNetPair(b)
		withNet := make([]Target, len(targets))
		for i, t := range targets {
			t.NetNSPath = a.Path()
			withNet[i] = t
		}
		run(b, withNet)
	})
}
