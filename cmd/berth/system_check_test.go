package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"berth/engine"
	"berth/engine/store"
	"berth/netmgr"
)

// check runs system check with args and returns its output and exit code.
func (c *cli) check(args ...string) (string, int) {
	c.t.Helper()
	out, errOut, code := c.run("", append([]string{"system", "check"}, args...)...)
	if errOut != "" {
		c.t.Errorf("system check %v wrote to stderr: %s", args, errOut)
	}
	return out, code
}

// wantClean asserts that system check finds nothing.
func (c *cli) wantClean() {
	c.t.Helper()
	if out, code := c.check(); out != "no problems found\n" || code != 0 {
		c.t.Errorf("system check: exit %d, output %q; want a clean report", code, out)
	}
}

// TestSystemCheckCleanAfterNormalUse checks that ordinary runs, stops and
// removals leave nothing for system check to report.
func TestSystemCheckCleanAfterNormalUse(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "--rm", "busybox", "true")
	c.ok("run", "-d", "--name", "up", "busybox", "sleep", "1000")
	c.ok("run", "--name", "done", "busybox", "true")
	c.ok("create", "--name", "made", "busybox", "true")
	c.wantClean()
	out, code := c.check("--format", "json")
	var rep struct {
		Findings  []engine.CheckFinding
		Remaining int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || rep.Findings == nil || len(rep.Findings) != 0 {
		t.Errorf("system check --format json: exit %d, %q (%v)", code, out, err)
	}
	c.ok("rm", "-f", "up", "done", "made")
	c.wantClean()
}

// fakeContainerDir makes a container directory as create makes it, as a
// create killed before storing its record leaves it, dated old.
func (c *cli) fakeContainerDir(id string) string {
	c.t.Helper()
	dir := filepath.Join(c.root, "containers", id)
	for _, d := range []string{"fs/upper", "fs/work", "fs/merged"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "hostname"), []byte(id[:12]+"\n"), 0o644); err != nil {
		c.t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(dir, old, old); err != nil {
		c.t.Fatal(err)
	}
	return dir
}

// holdLock takes the engine's lock of container id as an operation in
// another process would; the returned function releases it.
func (c *cli) holdLock(id string) func() {
	c.t.Helper()
	p := filepath.Join(c.root, "run", "locks", id)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		c.t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		c.t.Fatal(err)
	}
	return func() { f.Close() }
}

// TestSystemCheckOrphanDirectory checks that the directory a killed create
// leaves is removed by the next berth process (the recovery at open), and
// that one whose lock an operation holds is left alone by it and by check.
func TestSystemCheckOrphanDirectory(t *testing.T) {
	c := newCLI(t)
	id := strings.Repeat("3f2a", 16)
	dir := c.fakeContainerDir(id)
	release := c.holdLock(id)
	c.wantClean() // a create in flight
	if out, code := c.check("--repair"); code != 0 || !dirExists(dir) {
		t.Fatalf("system check --repair touched a locked directory: exit %d, %q", code, out)
	}
	c.ok("ps", "-a")
	if !dirExists(dir) {
		t.Fatalf("the recovery at open removed a locked directory")
	}
	release()
	c.ok("ps", "-a")
	if dirExists(dir) {
		t.Errorf("%s is still there", dir)
	}
	c.wantClean()
}

func dirExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestSystemCheckRecordWithoutDirectory checks that a record whose directory
// is gone is reported, and that --repair removes it with a destroy event.
func TestSystemCheckRecordWithoutDirectory(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("create", "--name", "hollow", "busybox", "true"))
	if err := os.RemoveAll(filepath.Join(c.root, "containers", id)); err != nil {
		t.Fatal(err)
	}
	want := "container " + id[:12] + ": record without its directory"
	if out, code := c.check(); out != want+"\n" || code != 1 {
		t.Errorf("system check: exit %d, %q; want exit 1, %q", code, out, want)
	}
	if out, code := c.check("--repair"); out != want+" (removed)\n" || code != 0 {
		t.Errorf("system check --repair: exit %d, %q; want exit 0, %q", code, out, want+" (removed)")
	}
	if out := c.ok("ps", "-aq"); out != "" {
		t.Errorf("ps -aq after repair: %q", out)
	}
	ev := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "container=hollow", "--format", "{{.Action}}")
	if !strings.HasSuffix(ev, "destroy\n") {
		t.Errorf("events of the repaired container: %q; want a destroy last", ev)
	}
	c.wantClean()
}

// TestSystemCheckStrayNetwork checks that a network namespace, veth and lease
// set up through the network manager for a container that has no record are
// reported and released by --repair.
func TestSystemCheckStrayNetwork(t *testing.T) {
	c := newCLI(t)
	// Makes the default network. Not with --rm: its monitor runs a berth rm
	// whose engine open would race this test and clear the strays below.
	id := strings.TrimSpace(c.ok("run", "-d", "busybox", "true"))
	c.ok("wait", id)
	c.ok("rm", id)
	e, err := engine.New(engine.Options{Root: c.root, MonitorPath: filepath.Join(binDir, "berth-monitor"),
		InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// Made after this engine opened (and recovered): only Check can see them.
	// A new berth process would clear them when it opens, which the end of
	// this test shows too.
	stray := func(id string) (string, *netmgr.Endpoint) {
		ns, err := e.Networks().CreateNamespace(id)
		if err != nil {
			t.Fatal(err)
		}
		ep, err := e.Networks().Connect(context.Background(), "bridge", id, ns, netmgr.ConnectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ns, ep
	}
	ns, ep := stray(strings.Repeat("5eed", 16))
	rep, err := e.Check(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range rep.Findings {
		lines = append(lines, f.String())
	}
	out := strings.Join(lines, "\n")
	for _, want := range []string{"netns " + ns + ": network namespace without a container",
		"lease " + ep.IP.String() + ": address on network bridge (veth " + ep.HostVeth + ") leased to container " + ep.ContainerID[:12]} {
		if !strings.Contains(out, want) {
			t.Errorf("check: %q lacks %q", out, want)
		}
	}
	if rep.Remaining() == 0 {
		t.Errorf("check: nothing remaining in %q", out)
	}
	if rep, err = e.Check(context.Background(), true); err != nil || rep.Remaining() != 0 {
		t.Errorf("check --repair: %v, %+v", err, rep)
	}
	if _, err := netlink.LinkByName(ep.HostVeth); err == nil {
		t.Errorf("veth %s is still there", ep.HostVeth)
	}
	if dirExists(ns) {
		t.Errorf("namespace %s is still there", ns)
	}
	// The same leftovers seen by the next berth process: its open clears them.
	ns, ep = stray(strings.Repeat("5eed", 16))
	c.ok("ps", "-a")
	if _, err := netlink.LinkByName(ep.HostVeth); err == nil {
		t.Errorf("veth %s is still there after the next berth opened", ep.HostVeth)
	}
	if dirExists(ns) {
		t.Errorf("namespace %s is still there after the next berth opened", ns)
	}
	c.wantClean()
}

// TestSystemCheckCorruptBlob checks that a blob whose content no longer
// matches its digest is reported, and stays a problem after --repair.
func TestSystemCheckCorruptBlob(t *testing.T) {
	c := newCLI(t)
	digest, path := c.largestBlob()
	flipMiddleByte(t, path)
	for _, args := range [][]string{nil, {"--repair"}} {
		out, code := c.check(args...)
		if !strings.HasPrefix(out, "blob "+digest[:12]) && !strings.HasPrefix(out, "blob "+digest+":") || code != 1 {
			t.Errorf("system check %v: exit %d, %q; want exit 1 and blob %s reported", args, code, out, digest)
		}
	}
}

// TestSystemCheckDeadMonitor checks that a container whose state says running
// while its monitor is gone is reported and marked exited by --repair.
func TestSystemCheckDeadMonitor(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("run", "-d", "--name", "orphan", "busybox", "sleep", "1000"))
	var st struct{ MonitorPid int }
	b, err := os.ReadFile(filepath.Join(c.root, "containers", id, "state.json"))
	if err != nil || json.Unmarshal(b, &st) != nil || st.MonitorPid == 0 {
		t.Fatalf("state of %s: %v %s", id, err, b)
	}
	if err := unix.Kill(st.MonitorPid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitProcGone(t, st.MonitorPid)
	want := "container " + id[:12] + ": state says running but its monitor is gone"
	if out, code := c.check(); out != want+"\n" || code != 1 {
		t.Errorf("system check: exit %d, %q; want exit 1, %q", code, out, want)
	}
	if out, code := c.check("--repair"); out != want+" (marked exited)\n" || code != 0 {
		t.Errorf("system check --repair: exit %d, %q; want exit 0, %q", code, out, want+" (marked exited)")
	}
	if got := c.ok("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "orphan"); got != "exited 137\n" {
		t.Errorf("state after repair: %q, want exited 137", got)
	}
	c.wantClean()
}

// TestSystemCheckKilledCreateWithVolume checks what a create killed after it
// made its anonymous volume but before it stored its record leaves: the next
// berth process removes the directory and the volume reference (the anonymous
// volume too, as a failed create does), so system check finds nothing.
func TestSystemCheckKilledCreateWithVolume(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("create", "--name", "half", "-v", "/anon", "busybox", "true"))
	vol := strings.TrimSpace(c.ok("volume", "ls", "-q"))
	db, err := store.Open(filepath.Join(c.root, "berth.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Delete(context.Background(), id)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(c.root, "containers", id), old, old); err != nil {
		t.Fatal(err)
	}
	if out := c.ok("volume", "ls", "-q"); out != "" {
		t.Errorf("volumes after the next berth process: %q, want none (not %s)", out, vol)
	}
	if dirExists(filepath.Join(c.root, "containers", id)) {
		t.Errorf("the directory of the killed create is still there")
	}
	c.wantClean()
}
