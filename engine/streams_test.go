package engine_test

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netns"

	"berth/engine"
	"berth/netmgr/nettest"
	"berth/stats"
)

// collect reads n batches of a stats stream at interval and cancels it.
func collect(t *testing.T, e *engine.Engine, refs []string, o engine.StatsOptions, n int) [][]engine.StatsEntry {
	t.Helper()
	// A bound against a hang, not a speed requirement.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute+time.Duration(n)*o.Interval)
	defer cancel()
	out, errs, err := e.Stats(ctx, refs, o)
	if err != nil {
		t.Fatalf("stats %v: %v", refs, err)
	}
	var batches [][]engine.StatsEntry
	for b := range out {
		batches = append(batches, b)
		if len(batches) == n {
			cancel()
		}
	}
	if err := <-errs; err != nil {
		t.Fatalf("stats %v: %v", refs, err)
	}
	if len(batches) < n {
		t.Fatalf("stats %v: %d batches, want %d", refs, len(batches), n)
	}
	return batches
}

// entry finds the entry of container id in a batch.
func entry(t *testing.T, b []engine.StatsEntry, id string) engine.StatsEntry {
	t.Helper()
	for _, s := range b {
		if s.ID == id {
			if s.Sample.Err != nil {
				t.Fatalf("sample of %s: %v", s.Name, s.Sample.Err)
			}
			return s
		}
	}
	t.Fatalf("container %s not in batch %+v", id[:12], b)
	return engine.StatsEntry{}
}

func TestStatsMemoryAndPIDs(t *testing.T) {
	e := newEngine(t)
	// /dev/shm is a 64 MiB tmpfs whose pages are charged to the container's
	// memory cgroup (and are not file cache that could be reclaimed).
	c := startDetached(t, e, "mem", opts("sh", "-c", "dd if=/dev/zero of=/dev/shm/x bs=1M count=64 && sleep 1000 & wait"))
	const want = 64 << 20
	// Wait for dd to be done: its memory charged and only sh and sleep left
	// (however long that takes here; the deadline only stops a hang).
	var got engine.StatsEntry
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		got = entry(t, collect(t, e, []string{"mem"}, engine.StatsOptions{Interval: 100 * time.Millisecond}, 1)[0], c.ID)
		if s := got.Sample; s.MemUsage >= want*9/10 && s.PIDs == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sample with ≥ 90%% of %d bytes and 2 PIDs (sh, sleep); last %+v", want, got.Sample)
		}
	}
	s := got.Sample
	if s.MemUsage > want*11/10 {
		t.Errorf("memory usage %d, want within 10%% of %d", s.MemUsage, want)
	}
	if s.MemLimit == 0 || s.MemPercent <= 0 || got.Name != "mem" || !got.Running {
		t.Errorf("entry %+v", got)
	}
}

func TestStatsOOMKill(t *testing.T) {
	e := newEngine(t)
	// The inner shell grows past 32 MiB and is killed; the outer one stays.
	o := opts("sh", "-c", `sh -c 'x=$(head -c 134217728 /dev/zero | tr "\0" a)'; sleep 1000`)
	o.HostConfig.Memory = 32 << 20
	o.HostConfig.MemorySwap = 32 << 20
	c := startDetached(t, e, "oom", o)
	var s engine.StatsEntry
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) { // against a hang
		s = entry(t, collect(t, e, []string{"oom"}, engine.StatsOptions{Interval: 50 * time.Millisecond}, 1)[0], c.ID)
		if s.Sample.OOMKills > 0 {
			break
		}
	}
	if s.Sample.OOMKills < 1 {
		t.Fatalf("OOM kills %d, want ≥ 1", s.Sample.OOMKills)
	}
	if s.Sample.MemLimit != 32<<20 {
		t.Errorf("memory limit %d, want %d", s.Sample.MemLimit, 32<<20)
	}
}

// TestStatsNetwork: containers have loopback only until networking lands and
// stats (like docker) counts no loopback, so the test moves one end of a veth
// pair into the container's network namespace and pings it from a namespace
// of its own.
func TestStatsNetwork(t *testing.T) {
	for _, tool := range []string{"nsenter", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	e := newEngine(t)
	c := startDetached(t, e, "net", opts("sleep", "1000"))
	c = mustState(t, e, "net", "running")
	ns := vethInto(t, c.State.Pid)

	read := func() engine.StatsEntry {
		return entry(t, collect(t, e, []string{"net"}, engine.StatsOptions{Interval: 50 * time.Millisecond}, 1)[0], c.ID)
	}
	before := read()
	if out, err := exec.Command("nsenter", "--net="+ns.Path(), "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.253.78.2").CombinedOutput(); err != nil {
		t.Fatalf("ping: %v: %s", err, out)
	}
	after := read()
	b, a := before.Sample, after.Sample
	if a.NetRxPackets < b.NetRxPackets+3 || a.NetTxPackets < b.NetTxPackets+3 ||
		a.NetRxBytes < b.NetRxBytes+3*84 || a.NetTxBytes < b.NetTxBytes+3*84 {
		t.Errorf("network counters did not grow by 3 pings: before %+v after %+v", b, a)
	}
}

// vethInto makes a namespace of the test's own (unnamed, held by a
// descriptor: nothing is left on the host) with a veth end 10.253.78.1/30
// whose peer eth9, 10.253.78.2/30, is put straight into the network
// namespace of process pid, so no end is ever in the host's namespace.
func vethInto(t *testing.T, pid int) *nettest.Namespace {
	t.Helper()
	ns := nettest.NewNamespace(t)
	cns, err := netns.GetFromPid(pid)
	if err != nil {
		t.Fatalf("network namespace of %d: %v", pid, err)
	}
	defer cns.Close()
	err = nettest.Veth(
		nettest.VethEnd{NS: ns.Handle(), Name: "bssa", Addr: netip.MustParsePrefix("10.253.78.1/30")},
		nettest.VethEnd{NS: cns, Name: "eth9", Addr: netip.MustParsePrefix("10.253.78.2/30")})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestStatsFollowsAndStopped(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped, err := e.Create(ctx, func() engine.CreateOptions { o := opts("true"); o.Name = "idle"; return o }())
	if err != nil {
		t.Fatal(err)
	}
	out, errs, err := e.Stats(ctx, nil, engine.StatsOptions{Stream: true, Interval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if b := <-out; len(b) != 0 {
		t.Fatalf("first batch %+v, want none running", b)
	}
	late := startDetached(t, e, "late", opts("sleep", "1000"))
	joined := false
	for deadline := time.Now().Add(2 * time.Minute); !joined && time.Now().Before(deadline); { // against a hang
		for _, s := range <-out {
			joined = joined || (s.ID == late.ID && s.Running && s.Sample.PIDs == 1)
		}
	}
	if !joined {
		t.Error("a container started after the stream began did not join it")
	}
	cancel()
	for range out {
	}
	if err := <-errs; err != nil {
		t.Errorf("stream error after cancel: %v", err)
	}

	// A stopped container named by ref, and -a, read zero without error.
	for _, refs := range [][]string{{"idle"}, nil} {
		b := collect(t, e, refs, engine.StatsOptions{All: true, Interval: 50 * time.Millisecond}, 1)[0]
		s := entry(t, b, stopped.ID)
		if s.Running || s.Sample.CPUUsageNS != 0 || s.Sample.MemUsage != 0 || s.Sample.PIDs != 0 || s.Sample.MemLimit != 0 {
			t.Errorf("stopped container with refs %v: %+v", refs, s)
		}
		if refs == nil && len(b) != 2 {
			t.Errorf("--all batch has %d entries, want 2", len(b))
		}
	}
}

func TestStatsTargetsAndTop(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	c := startDetached(t, e, "web", opts("sleep", "1000"))
	c = mustState(t, e, "web", "running")
	ts, err := e.StatsTargets(ctx, []string{"web"})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("/proc/%d/ns/net", c.State.Pid)
	if len(ts) != 1 || ts[0].ID != c.ID || ts[0].CgroupPath != engine.CgroupPath(c.ID) || ts[0].NetNSPath != want {
		t.Errorf("targets %+v", ts)
	}
	// Start returns once the container's init was told to exec, as runc
	// start does; until the exec is done top sees "[sleep]" (no cmdline yet).
	var ps []stats.Process
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if ps, err = e.Top(ctx, "web"); err != nil {
			t.Fatal(err)
		}
		if len(ps) != 1 || ps[0].Command != "[sleep]" || time.Now().After(deadline) {
			break
		}
	}
	if len(ps) != 1 || ps[0].NSPID != 1 || ps[0].PID != c.State.Pid || ps[0].Command != "sleep 1000" || ps[0].User != "root" {
		t.Errorf("top: %+v", ps)
	}
	now := time.Duration(0)
	if err := e.Stop(ctx, "web", engine.StopOptions{Timeout: &now}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref  string
		want func(error) bool
	}{{"web", errdefs.IsConflict}, {"nosuch", errdefs.IsNotFound}} {
		if _, err := e.Top(ctx, tc.ref); !tc.want(err) {
			t.Errorf("top %s: %v", tc.ref, err)
		}
	}
	if _, _, err := e.Stats(ctx, []string{"web", "nosuch"}, engine.StatsOptions{}); !errdefs.IsNotFound(err) {
		t.Errorf("stats of unknown container: %v", err)
	}
	if _, err := e.StatsTargets(ctx, []string{"nosuch"}); !errdefs.IsNotFound(err) {
		t.Errorf("stats targets of unknown container: %v", err)
	}
}

// A container on the host network is sampled without a network namespace,
// so docker stats-style output shows 0B / 0B rather than the host's traffic.
func TestStatsTargetOfHostNetworkContainer(t *testing.T) {
	e := newEngine(t)
	o := opts("sleep", "1000")
	o.HostConfig.NetworkMode = "host"
	c := startDetached(t, e, "hostnet", o)
	c = mustState(t, e, "hostnet", "running")
	ts, err := e.StatsTargets(context.Background(), []string{"hostnet"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].ID != c.ID || ts[0].NetNSPath != "" {
		t.Errorf("targets %+v, want one without a network namespace", ts)
	}
	if got := engine.StatsTarget(c); got != ts[0] {
		t.Errorf("StatsTarget %+v, StatsTargets %+v", got, ts[0])
	}
}

func TestStatsNoGoroutineLeak(t *testing.T) {
	e := newEngine(t)
	startDetached(t, e, "web", opts("sleep", "1000"))
	before := runtime.NumGoroutine()
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		out, _, err := e.Stats(ctx, nil, engine.StatsOptions{Stream: true, Interval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		<-out
		<-out
		cancel() // stop without draining: the stream must end by itself
	}
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(time.Minute); n > before && time.Now().Before(deadline); n = runtime.NumGoroutine() { // against a hang
		time.Sleep(20 * time.Millisecond)
	}
	if n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after cancelled streams, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// BenchmarkStats100 follows 100 running busybox sleep containers as
// `berth stats` does: each op is one tick (list the running containers, read
// them all). cpu-ns/op is this process's CPU time (getrusage) per tick, so
// %core@1Hz is the CPU % of one core when streaming at 1 Hz. "list" is the
// engine's share (re-listing containers each tick).
func BenchmarkStats100(b *testing.B) {
	root := b.TempDir()
	e, err := engine.New(engine.Options{Root: root,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Cleanup(func() {
		cs, _ := e.List(ctx, true)
		for _, c := range cs {
			_ = e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true})
		}
		_ = e.Networks().RemoveAll(ctx)
		e.Close()
	})
	if _, err := e.Images().Bootstrap(ctx, "busybox", func(string) {}); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		o := opts("sleep", "100000")
		o.Name = fmt.Sprintf("s%d", i)
		c, err := e.Create(ctx, o)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	measure := func(b *testing.B, op func()) {
		var before, after syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
		for b.Loop() {
			op()
		}
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		cpuNS := float64(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / float64(b.N)
		b.ReportMetric(cpuNS, "cpu-ns/op")
		b.ReportMetric(cpuNS/1e9*100, "%core@1Hz")
	}
	b.Run("list", func(b *testing.B) {
		measure(b, func() {
			if cs, err := e.List(ctx, false); err != nil || len(cs) != 100 {
				b.Fatalf("list: %d, %v", len(cs), err)
			}
		})
	})
	b.Run("tick", func(b *testing.B) {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		out, _, err := e.Stats(sctx, nil, engine.StatsOptions{Stream: true, Interval: time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		<-out
		measure(b, func() {
			if batch := <-out; len(batch) != 100 {
				b.Fatalf("batch of %d", len(batch))
			}
		})
	})
}
