package xray

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/containerd/errdefs"

	"berth/images"
	"berth/volumes"
)

func TestParseNSLink(t *testing.T) {
	cases := []struct {
		in   string
		typ  string
		ino  uint64
		fail bool
	}{
		{"net:[4026531840]", "net", 4026531840, false},
		{"pid_for_children:[4026531836]", "pid_for_children", 4026531836, false},
		{"net:[]", "", 0, true},
		{"net:4026531840", "", 0, true},
		{":[1]", "", 0, true},
		{"mnt:[-1]", "", 0, true},
	}
	for _, c := range cases {
		typ, ino, err := ParseNSLink(c.in)
		if (err != nil) != c.fail || typ != c.typ || ino != c.ino {
			t.Errorf("ParseNSLink(%q) = %q, %d, %v", c.in, typ, ino, err)
		}
		if err != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseNSLink(%q): %v is not invalid-argument", c.in, err)
		}
	}
}

func FuzzParseNSLink(f *testing.F) {
	for _, s := range []string{"net:[4026531840]", "uts:[1]", "x:[", ":[]", "a:[99999999999999999999]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, _, err := ParseNSLink(s)
		if err == nil && typ == "" {
			t.Errorf("%q parsed with an empty type", s)
		}
	})
}

const status = "Name:\tsh\nCapInh:\t0000000000000000\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n"

func TestParseStatus(t *testing.T) {
	cases := []struct {
		in   string
		want Status
	}{
		{status, Status{CapEff: 0xa80425fb, CapBnd: 0xa80425fb, Seccomp: 2, NoNewPrivs: true}},
		{"CapEff:\tzz\nSeccomp: x\nNoNewPrivs:\t0", Status{}},
		{"", Status{}},
	}
	for _, c := range cases {
		if got := ParseStatus(c.in); got != c.want {
			t.Errorf("ParseStatus(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add(status)
	f.Add("CapEff:\n")
	f.Add("Seccomp:\t-1\nCapBnd:ffffffffffffffffff")
	f.Fuzz(func(t *testing.T, s string) { ParseStatus(s) })
}

func TestLayers(t *testing.T) {
	hist := []images.HistoryEntry{
		{CreatedBy: `CMD ["sh"]`, EmptyLayer: true},
		{CreatedBy: "RUN echo hi > /x", Size: 10},
		{CreatedBy: "ADD rootfs /", Size: 2000},
	}
	got := Layers("/s/l/A:/s/l/B", hist)
	want := []Layer{{Dir: "/s/l/A", Step: "RUN echo hi > /x", Size: 10}, {Dir: "/s/l/B", Step: "ADD rootfs /", Size: 2000}}
	if !slices.Equal(got, want) {
		t.Errorf("Layers = %+v, want %+v", got, want)
	}
	if got := Layers("/a:/b:/c", hist); got[0].Step != "" || len(got) != 3 {
		t.Errorf("mismatched history named layers: %+v", got)
	}
	if Layers("", hist) != nil {
		t.Error("no lowerdir gave layers")
	}
}

// TestInspectSelf x-rays this test process as if it were a container: it
// shares every namespace with PID 1 only when the test runs in the host's.
func TestInspectSelf(t *testing.T) {
	upper := t.TempDir()
	for i, n := range []string{"a", "b", "c"} {
		if err := os.WriteFile(filepath.Join(upper, n), make([]byte, 100*(i+1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := Target{ID: "0123456789ab", Name: "/self", Running: true, Pid: os.Getpid(),
		Overlay: map[string]string{"UpperDir": upper, "LowerDir": "/l1:/l2"},
		Mounts: []volumes.MountPoint{{Type: "volume", Name: "data", Source: "/v/data/_data", Destination: "/data", RW: true},
			{Type: "tmpfs", Destination: "/tmp", RW: true}}}
	r, err := Inspect(context.Background(), c, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Mounts, c.Mounts) {
		t.Errorf("mounts = %+v, want %+v", r.Mounts, c.Mounts)
	}
	if len(r.Namespaces) < 6 || r.Writes != 600 || r.WriteFiles != 3 || r.WritesCapped || len(r.Lower) != 2 {
		t.Errorf("report: %+v", r)
	}
	if len(r.CapBnd) == 0 {
		t.Errorf("no bounding capabilities read: %+v", r)
	}
	r, err = Inspect(context.Background(), c, nil, Options{MaxFiles: 2})
	if err != nil || !r.WritesCapped {
		t.Errorf("capped walk: %+v %v", r, err)
	}
	c.Running = false
	if _, err := Inspect(context.Background(), c, nil, Options{}); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("stopped container: %v", err)
	}
}

func TestCgroupFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "memory", "berth", "x")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte("67108864\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v2, files := cgroupFiles(root, "/berth/x")
	if v2 || len(files) != 1 || files[0] != (CgroupFile{"memory/memory.limit_in_bytes", "67108864"}) {
		t.Errorf("v1: %v %+v", v2, files)
	}
	if err := os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("cpu memory pids\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "berth", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "berth", "x", "cpu.max"), []byte("50000 100000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v2, files = cgroupFiles(root, "/berth/x")
	r := Report{Cgroup: files}
	if v, ok := r.File("cpu.max"); !v2 || !ok || v != "50000 100000" {
		t.Errorf("v2: %v %+v", v2, files)
	}
}
