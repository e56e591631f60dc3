package engine_test

import (
	"berth/engine/api/apitest"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"

	"berth/engine"
	"berth/engine/runner"
	"berth/engine/testroots"
)

// binDir holds berth-monitor and berth-init for the tests.
var binDir string

func TestMain(m *testing.M) {
	if runner.IsInit() {
		runner.Init() // re-executed by libcontainer for exec
	}
	if os.Getenv("BERTH_TEST_HELPER") == "netrecon" {
		os.Exit(netReconHelper())
	}
	if os.Getenv("BERTH_TEST_HELPER") == "killedroot" {
		os.Exit(killedRootHelper())
	}
	if os.Getenv("BERTH_TEST_HELPER") != "" {
		os.Exit(helperMain())
	}
	runner.QuietLogs(os.Stderr)
	if os.Geteuid() != 0 {
		fmt.Println("engine tests need root: skipping")
		os.Exit(0)
	}
	dir, cleanup, err := apitest.Binaries()
	if err != nil {
		fmt.Fprintln(os.Stderr, "build test binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	// Data roots that earlier engine or CLI test processes made and left when
	// they were killed (go test's -timeout) are reset and deleted.
	testroots.SweepKilled(binDir, os.Stderr)
	code := m.Run()
	cleanup()
	if left := leftObjects(); len(left) > 0 {
		fmt.Fprintln(os.Stderr, "engine tests left kernel objects behind:", left)
		code = 1
	}
	os.Exit(code)
}

// newEngine opens an engine on a fresh root with busybox:latest bootstrapped,
// and at the end of the test removes every container and checks that nothing
// (mount, cgroup, monitor) is left.
func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	root := t.TempDir()
	return openEngine(t, root, true)
}

func openEngine(t *testing.T, root string, bootstrap bool) *engine.Engine {
	t.Helper()
	if err := testroots.Mark(root); err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Options{Root: root,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	usedNames.Store(e.Networks().TableName(), true)
	if bootstrap {
		if _, err := e.Images().Bootstrap(context.Background(), "busybox", func(string) {}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { teardown(t, e) })
	return e
}

func teardown(t *testing.T, e *engine.Engine) {
	ctx := context.Background()
	cs, err := e.List(ctx, true)
	if err != nil {
		t.Errorf("teardown list: %v", err)
	}
	for _, c := range cs {
		if err := e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true}); err != nil {
			t.Errorf("teardown remove %s: %v", c.Name, err)
		}
		assertGone(t, c.ID)
	}
	if err := e.Networks().RemoveAll(ctx); err != nil {
		t.Errorf("teardown networks: %v", err)
	}
	if _, err := netlink.LinkByName(e.Networks().DefaultBridge()); err == nil {
		t.Errorf("bridge %s left after teardown", e.Networks().DefaultBridge())
	}
	e.Close()
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), e.Root()) {
		t.Errorf("mounts left under %s", e.Root())
	}
}

// assertGone checks that a removed container left no cgroup and no monitor.
func assertGone(t *testing.T, id string) {
	t.Helper()
	for _, p := range []string{"/sys/fs/cgroup/memory/berth/" + id, "/sys/fs/cgroup/pids/berth/" + id, "/sys/fs/cgroup/berth/" + id} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("cgroup left: %s", p)
		}
	}
	out, _ := exec.Command("pgrep", "-f", "berth-monitor .*"+id).Output()
	if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("monitor left for %s: pids %s", id[:12], out)
	}
}

// runAttached creates, starts and attaches like `berth run`, returning output and exit code.
func runAttached(t *testing.T, e *engine.Engine, o engine.CreateOptions) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{WaitAttach: true}); err != nil {
		t.Fatalf("start: %v", err)
	}
	var out, errb bytes.Buffer
	code, err := e.Attach(ctx, c.ID, engine.AttachOptions{}, engine.IO{Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	return out.String(), errb.String(), code
}

func opts(cmd ...string) engine.CreateOptions {
	return engine.CreateOptions{Config: engine.Config{Image: "busybox", Cmd: cmd}}
}

// usedNames are the kernel-object prefixes (bridges, nftables table) of the
// data roots these tests made; other packages' tests run alongside with
// their own, so only these are checked.
var usedNames sync.Map

// leftObjects lists links and nftables tables of the tests' roots still there.
func leftObjects() []string {
	var left []string
	links, _ := netlink.LinkList()
	tables := []*nftables.Table{}
	if c, err := nftables.New(); err == nil {
		tables, _ = c.ListTables()
	}
	usedNames.Range(func(k, _ any) bool {
		name := k.(string)
		for _, l := range links {
			if strings.HasPrefix(l.Attrs().Name, name) {
				left = append(left, "link "+l.Attrs().Name)
			}
		}
		for _, t := range tables {
			if t.Name == name {
				left = append(left, "nft table "+t.Name)
			}
		}
		return true
	})
	return left
}
