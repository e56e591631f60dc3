package engine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"

	"berth/engine"
	"berth/engine/testroots"
)

// killedRoot is what the killedroot helper made: its data root, its running
// container, and the root's bridge and nftables table.
type killedRoot struct {
	Root, ID, Bridge, Table string
}

// killedRootHelper (BERTH_TEST_HELPER=killedroot) plays a test process that
// gets killed: it marks and opens the data root $BERTH_TEST_ROOT, starts a
// container on the default bridge, prints a killedRoot line, and waits to
// be killed.
func killedRootHelper() int {
	root, bin := os.Getenv("BERTH_TEST_ROOT"), os.Getenv("BERTH_TEST_BIN")
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 1 }
	if err := testroots.Mark(root); err != nil {
		return fail(err)
	}
	e, err := engine.New(engine.Options{Root: root, MonitorPath: filepath.Join(bin, "berth-monitor"),
		InitPath: filepath.Join(bin, "berth-init")})
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	if _, err := e.Images().Bootstrap(ctx, "busybox", func(string) {}); err != nil {
		return fail(err)
	}
	c, err := e.Create(ctx, engine.CreateOptions{Name: "left", Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "1000"}}})
	if err != nil {
		return fail(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		return fail(err)
	}
	json.NewEncoder(os.Stdout).Encode(killedRoot{Root: root, ID: c.ID, Bridge: e.Networks().DefaultBridge(), Table: e.Networks().TableName()})
	select {}
}

// startKilledRoot runs the helper under dir and SIGKILLs it once its
// container runs.
func startKilledRoot(t *testing.T, dir string) killedRoot {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BERTH_TEST_HELPER=killedroot", "BERTH_TEST_BIN="+binDir,
		"BERTH_TEST_ROOT="+filepath.Join(dir, "TestKilled123", "001"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var k killedRoot
	line, rerr := bufio.NewReader(out).ReadBytes('\n')
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if rerr != nil || json.Unmarshal(line, &k) != nil {
		t.Fatalf("killedroot helper: %v %q", rerr, line)
	}
	usedNames.Store(k.Table, true) // TestMain checks them again at the end
	return k
}

// bridgeVeths lists the links enslaved to the bridge named br.
func bridgeVeths(t *testing.T, br string) []string {
	t.Helper()
	b, err := netlink.LinkByName(br)
	if err != nil {
		return nil
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range links {
		if l.Attrs().MasterIndex == b.Attrs().Index {
			out = append(out, l.Attrs().Name)
		}
	}
	return out
}

// kernelLeft lists what of k is still in the kernel: mounts under its
// root, its bridge and veths, its nftables table, its container's cgroups.
func kernelLeft(t *testing.T, k killedRoot, veths []string) []string {
	t.Helper()
	var left []string
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), k.Root) {
		left = append(left, "mounts under the root")
	}
	for _, l := range append([]string{k.Bridge}, veths...) {
		if _, err := netlink.LinkByName(l); err == nil {
			left = append(left, "link "+l)
		}
	}
	if c, err := nftables.New(); err == nil {
		tables, _ := c.ListTables()
		for _, tb := range tables {
			if tb.Name == k.Table {
				left = append(left, "nft table "+tb.Name)
			}
		}
	}
	for _, p := range []string{"/sys/fs/cgroup/memory/berth/" + k.ID, "/sys/fs/cgroup/pids/berth/" + k.ID, "/sys/fs/cgroup/berth/" + k.ID} {
		if _, err := os.Stat(p); err == nil {
			left = append(left, "cgroup "+p)
		}
	}
	return left
}

// TestSweepKilledTestRoot: a test process killed with a running container
// leaves its root's objects in the kernel; the sweep resets the root with
// the engine's system reset and deletes it. A root of a live process and a
// directory without the mark stay as they are.
func TestSweepKilledTestRoot(t *testing.T) {
	dir := t.TempDir()
	k := startKilledRoot(t, dir)
	veths := bridgeVeths(t, k.Bridge)
	if len(veths) == 0 || len(kernelLeft(t, k, veths)) < 3 {
		t.Fatalf("the killed helper left too little to test a sweep: veths %v, left %v", veths, kernelLeft(t, k, veths))
	}
	live := filepath.Join(dir, "TestLive1", "001")
	if err := testroots.Mark(live); err != nil {
		t.Fatal(err)
	}
	unmarked := filepath.Join(dir, "TestOther1", "001")
	if err := os.MkdirAll(unmarked, 0o700); err != nil {
		t.Fatal(err)
	}
	swept, err := testroots.Sweep(context.Background(), testroots.Options{Dir: dir,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil || len(swept) != 1 || swept[0] != k.Root {
		t.Errorf("sweep reset %v (%v), want just %s", swept, err, k.Root)
	}
	if left := kernelLeft(t, k, veths); len(left) > 0 {
		t.Errorf("left after the sweep: %v", left)
	}
	assertGone(t, k.ID) // cgroups and monitor
	if _, err := os.Stat(filepath.Dir(k.Root)); !os.IsNotExist(err) {
		t.Errorf("the killed test's temp dir is still there: %v", err)
	}
	for _, p := range []string{filepath.Join(live, testroots.MarkName), unmarked} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the sweep touched %s: %v", p, err)
		}
	}
}
