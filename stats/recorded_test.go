package stats

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/errdefs"
)

// recordedMemTotal is MemTotal of testdata/proc/meminfo.
const recordedMemTotal = 24684084 * 1024

// recordedSystemNS is the cpu line of testdata/proc/stat in ns.
const recordedSystemNS = (7419 + 0 + 2486 + 72053 + 295 + 0 + 67) * 1e7

func recordedReader(t testing.TB, mode cgroups.CGMode, root string) *Reader {
	t.Helper()
	r, err := NewReader(WithMode(mode), WithCgroupRoot(root), WithProcRoot("testdata/proc"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// zeroTime blanks the read time so samples compare.
func zeroTime(s Sample) Sample {
	s.Time = time.Time{}
	return s
}

func TestReadRecorded(t *testing.T) {
	sys := Sample{SystemUsageNS: recordedSystemNS, OnlineCPUs: 2}
	with := func(s Sample) Sample {
		s.SystemUsageNS, s.OnlineCPUs = sys.SystemUsageNS, sys.OnlineCPUs
		return s
	}
	tests := []struct {
		name string
		mode cgroups.CGMode
		root string
		path string
		want Sample
	}{
		{"v1 limited", cgroups.Legacy, "testdata/cgroup1", "/berth/rec1", with(Sample{ID: "x",
			CPUUsageNS: 296830015, NrThrottled: 5, ThrottledNS: 250397037,
			MemUsage: 700416 - 8192, MemCgroupUsage: 700416, MemInactiveFile: 8192, MemLimit: 268435456, OOMKills: 1, PIDs: 2, PIDsLimit: 64,
			BlkRead: 8388608 + 4096, BlkWrite: 8392704})},
		{"v1 unlimited (hybrid)", cgroups.Hybrid, "testdata/cgroup1", "/berth/unlimited", with(Sample{ID: "x",
			CPUUsageNS: 296830015, NrThrottled: 5, ThrottledNS: 250397037,
			MemUsage: 700416 - 8192, MemCgroupUsage: 700416, MemInactiveFile: 8192, MemLimit: recordedMemTotal, OOMKills: 1, PIDs: 2, PIDsLimit: 0,
			BlkRead: 8388608 + 4096, BlkWrite: 8392704})},
		{"v1 missing cgroup reads zero", cgroups.Legacy, "testdata/cgroup1", "/berth/gone", Sample{ID: "x"}},
		{"v2 unlimited", cgroups.Unified, "testdata/cgroup2", "/berth/rec2", with(Sample{ID: "x",
			CPUUsageNS: 8123456000, NrThrottled: 97, ThrottledNS: 4850321000,
			MemUsage: 73400320 - 4194304, MemCgroupUsage: 73400320, MemInactiveFile: 4194304, MemLimit: recordedMemTotal, OOMKills: 2, PIDs: 3, PIDsLimit: 0,
			BlkRead: 1048576 + 4096, BlkWrite: 8392704})},
		{"v2 limited", cgroups.Unified, "testdata/cgroup2", "/berth/limited", with(Sample{ID: "x",
			CPUUsageNS: 1000000, MemUsage: 73400320 - 4194304, MemCgroupUsage: 73400320, MemInactiveFile: 4194304, MemLimit: 134217728, OOMKills: 2,
			PIDs: 3, PIDsLimit: 100})},
		{"v2 missing cgroup reads zero", cgroups.Unified, "testdata/cgroup2", "/berth/gone", Sample{ID: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := recordedReader(t, tt.mode, tt.root)
			got, err := r.Read(Target{ID: "x", CgroupPath: tt.path})
			if err != nil {
				t.Fatal(err)
			}
			if got.Time.IsZero() {
				t.Fatal("sample has no time")
			}
			if zeroTime(got) != tt.want {
				t.Fatalf("Read =\n %+v\nwant\n %+v", zeroTime(got), tt.want)
			}
		})
	}
}

func TestReadBadTarget(t *testing.T) {
	r := recordedReader(t, cgroups.Unified, "testdata/cgroup2")
	for _, p := range []string{"", "berth/x", "/", "/berth/../etc", "/berth//x"} {
		if _, err := r.Read(Target{ID: "x", CgroupPath: p}); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("Read(%q) err = %v, want ErrInvalidArgument", p, err)
		}
	}
}

func TestTopRecorded(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode cgroups.CGMode
		root string
		path string
	}{
		{"v1", cgroups.Hybrid, "testdata/cgroup1", "/berth/rec1"},
		{"v2", cgroups.Unified, "testdata/cgroup2", "/berth/rec2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := recordedReader(t, tt.mode, tt.root)
			_, err := r.Top("/berth/none")
			if !errors.Is(err, errdefs.ErrNotFound) {
				t.Fatalf("Top of a missing cgroup: err = %v, want ErrNotFound", err)
			}
			procs, err := r.Top(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			// cgroup.procs lists 1201 and others; only 1201 is recorded under
			// testdata/proc, the others read as exited and are skipped.
			want := Process{PID: 1201, NSPID: 1, User: "nobody", UID: 65534, CPUPercent: 1,
				CPUTime: 2 * time.Second, RSS: 392 * 4096, VSZ: 2990080,
				Started: time.Unix(1795408891, 0).Add(412990 * time.Millisecond),
				Command: "sleep 100", PPID: 8356, State: "S", Stat: "S"}
			if len(procs) != 1 || procs[0] != want {
				t.Fatalf("Top =\n %+v\nwant\n %+v", procs, want)
			}
		})
	}
}

func TestSamplerRecorded(t *testing.T) {
	r := recordedReader(t, cgroups.Unified, "testdata/cgroup2")
	s := NewSampler(r, 10*time.Millisecond, 3)
	s.SetTargets([]Target{{ID: "a", CgroupPath: "/berth/rec2"}, {ID: "b", CgroupPath: "/berth/limited"}})
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan []Sample)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out) }()
	for i := 0; i < 5; i++ {
		batch := <-out
		if len(batch) != 2 || batch[0].ID != "a" || batch[1].ID != "b" {
			t.Fatalf("batch %d = %+v", i, batch)
		}
		if batch[1].MemPercent != float64(73400320-4194304)/134217728*100 {
			t.Fatalf("MemPercent = %v", batch[1].MemPercent)
		}
	}
	h := s.History("a")
	if len(h) != 3 {
		t.Fatalf("history holds %d samples, want 3 (ring size)", len(h))
	}
	for i := 1; i < len(h); i++ {
		if h[i].Time.Before(h[i-1].Time) {
			t.Fatalf("history not oldest first: %v", h)
		}
	}
	s.SetTargets([]Target{{ID: "b", CgroupPath: "/berth/limited"}})
	if batch := <-out; len(batch) != 1 && batch[0].ID != "b" {
		<-out // the tick after SetTargets may still have read the old set
	}
	if batch := <-out; len(batch) != 1 || batch[0].ID != "b" {
		t.Fatalf("after SetTargets batch = %+v", batch)
	}
	if h := s.History("a"); h != nil {
		t.Fatalf("history of a dropped target kept: %d samples", len(h))
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}

func TestSamplerReadError(t *testing.T) {
	r := recordedReader(t, cgroups.Unified, "testdata/cgroup2")
	s := NewSampler(r, time.Second, 2)
	s.SetTargets([]Target{{ID: "bad", CgroupPath: "relative"}})
	batch := s.SampleOnce()
	if len(batch) != 1 || !errors.Is(batch[0].Err, errdefs.ErrInvalidArgument) {
		t.Fatalf("batch = %+v, want one sample with ErrInvalidArgument", batch)
	}
}
