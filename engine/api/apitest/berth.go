package apitest

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// berthCases are berth's own calls beside Docker's: what the TUI's X-ray,
// header figures, image audit and `system check` need of any engine.
func berthCases() []Case {
	return []Case{
		{"xray", caseXRay},
		{"host-usage", caseHostUsage},
		{"image-audit", caseImageAudit},
		{"check", caseCheck},
	}
}

// caseXRay: the X-ray of a running container names it, its first process,
// its namespaces and its image's layers; a missing one is not found.
func caseXRay(t *testing.T, s *Suite) {
	c := s.started(t, "sleep", "60")
	rep, err := s.XRay(ctx(t), c.Name)
	ok(t, "xray", err)
	in, err := s.Inspect(ctx(t), c.ID)
	ok(t, "inspect", err)
	if rep.ID != c.ID || rep.Pid != in.State.Pid || rep.Pid <= 0 {
		t.Fatalf("xray names %s pid %d, want %s pid %d", rep.ID, rep.Pid, c.ID, in.State.Pid)
	}
	if len(rep.Namespaces) == 0 || len(rep.Lower) == 0 || rep.UpperDir == "" {
		t.Fatalf("xray has %d namespaces, %d lower layers, upper %q", len(rep.Namespaces), len(rep.Lower), rep.UpperDir)
	}
	_, err = s.XRay(ctx(t), "apitest-no-such-container")
	wantMissing(t, "xray of a missing container", err, "apitest-no-such-container")
}

// caseHostUsage: the host figures are the kernel's (the suite's engine runs
// on this host): MemTotal as /proc/meminfo says, CPU jiffies counted.
func caseHostUsage(t *testing.T, s *Suite) {
	h, err := s.HostUsage(ctx(t))
	ok(t, "host usage", err)
	if h.MemTotal != memTotal(t) || h.Total == 0 || h.Busy > h.Total || h.MemAvailable > h.MemTotal {
		t.Fatalf("host usage %+v, kernel's MemTotal %d", h, memTotal(t))
	}
}

func memTotal(t *testing.T) uint64 {
	f, err := os.Open("/proc/meminfo")
	ok(t, "read /proc/meminfo", err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			ok(t, "MemTotal", err)
			return kb * 1024
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return 0
}

// caseImageAudit: busybox runs as root and the audit says so; a missing
// image is not found.
func caseImageAudit(t *testing.T, s *Suite) {
	img, fs, err := s.AuditImage(ctx(t), "busybox")
	ok(t, "audit busybox", err)
	want, err := s.InspectImage(ctx(t), "busybox")
	ok(t, "inspect busybox", err)
	if img == nil || img.ID != want.ID {
		t.Fatalf("audit of busybox is of image %v, want %s", img, want.ID)
	}
	root := false
	for _, f := range fs {
		root = root || f.Rule == "RootUser"
	}
	if !root {
		t.Fatalf("audit of busybox %+v has no RootUser finding", fs)
	}
	_, _, err = s.AuditImage(ctx(t), "apitest-no-such-image")
	wantMissing(t, "audit of a missing image", err, "apitest-no-such-image")
}

// caseCheck: the data root of the suite, with its own containers cleaned
// up after each case, checks clean.
func caseCheck(t *testing.T, s *Suite) {
	rep, err := s.Check(ctx(t), false)
	ok(t, "check", err)
	if rep.Remaining() != 0 {
		t.Fatalf("check of the suite's root found %+v", rep.Findings)
	}
}
