package stats

import (
	"testing"

	"github.com/containerd/cgroups/v3"
)

// TestReadDetailRecorded: a Reader made WithDetail reads per-CPU, user and
// system time, the high-water mark, fail count and memory.stat from the
// recorded v1 tree, user and system time and memory.stat from the v2 tree
// (which has no per-CPU time, high-water mark or fail count); a Reader
// without it reads none.
func TestReadDetailRecorded(t *testing.T) {
	read := func(mode cgroups.CGMode, root, path string, opts ...Option) Sample {
		t.Helper()
		r, err := NewReader(append([]Option{WithMode(mode), WithCgroupRoot(root), WithProcRoot("testdata/proc")}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		s, err := r.Read(Target{ID: "x", CgroupPath: path})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := read(cgroups.Legacy, "testdata/cgroup1", "/berth/rec1"); s.Detail != nil {
		t.Errorf("detail without WithDetail: %+v", s.Detail)
	}
	d := read(cgroups.Legacy, "testdata/cgroup1", "/berth/rec1", WithDetail()).Detail
	if d == nil || len(d.PerCPUNS) != 2 || d.PerCPUNS[0] != 538542 || d.PerCPUNS[1] != 296291473 ||
		d.UserNS != 29*1e7 || d.SystemNS != 0 || d.MemStat["cache"] != 159744 || d.MemStat["total_inactive_file"] != 8192 {
		t.Errorf("v1 detail: %+v", d)
	}
	if d.MemMaxUsage != 1966080 || d.MemFailcnt != 0 {
		t.Errorf("v1 max usage %d, failcnt %d", d.MemMaxUsage, d.MemFailcnt)
	}
	d = read(cgroups.Unified, "testdata/cgroup2", "/berth/rec2", WithDetail()).Detail
	if d == nil || d.PerCPUNS != nil || d.UserNS != 6012345000 || d.SystemNS != 2111111000 || len(d.MemStat) != 56 ||
		d.MemStat["inactive_file"] != 4194304 || d.MemMaxUsage != 0 {
		t.Errorf("v2 detail: %+v", d)
	}
	if s := read(cgroups.Legacy, "testdata/cgroup1", "/berth/gone", WithDetail()); s.Detail != nil {
		t.Errorf("detail of a missing cgroup: %+v", s.Detail)
	}
}
