package apitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"berth/engine"
	"berth/engine/runner"
)

// Main runs the tests of a package that opens engines: re-executed by
// libcontainer (exec into a container) it hands over to init; without root
// it skips; otherwise it builds berth-monitor and berth-init into a
// temporary directory (or takes $BERTH_BIN, as make test sets it), runs the
// tests with $BERTH_BIN naming that directory, and removes what it built.
func Main(m *testing.M) {
	if runner.IsInit() {
		runner.Init()
	}
	runner.QuietLogs(os.Stderr)
	if os.Geteuid() != 0 {
		fmt.Println("engine tests need root: skipping")
		os.Exit(0)
	}
	dir, cleanup, err := Binaries()
	if err != nil {
		fmt.Fprintln(os.Stderr, "build test binaries:", err)
		os.Exit(1)
	}
	os.Setenv("BERTH_BIN", dir)
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// MonitorTags and MonitorLdflags build berth-monitor as the Makefile does:
// statically linked, so that its two executions per container start (the
// monitor, and the container's init) need no dynamic loader.
const (
	MonitorTags    = "seccomp netgo osusergo"
	MonitorLdflags = `-linkmode external -extldflags "-static"`
)

// Binaries returns $BERTH_BIN (make test sets it) or builds the monitor and
// init into a temporary directory, which the returned function removes.
func Binaries() (string, func(), error) {
	if d := os.Getenv("BERTH_BIN"); d != "" {
		return d, func() {}, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "berth-bin-")
	if err != nil {
		return "", nil, err
	}
	for _, b := range []struct{ name, pkg, cgo string }{
		{"berth-monitor", "./cmd/berth-monitor", "1"},
		{"berth-init", "./cmd/berth-init", "0"},
	} {
		cmd := exec.Command("go", "build", "-tags", "seccomp", "-o", filepath.Join(dir, b.name), b.pkg)
		if b.name == "berth-monitor" {
			cmd = exec.Command("go", "build", "-tags", MonitorTags, "-ldflags", MonitorLdflags, "-o", filepath.Join(dir, b.name), b.pkg)
		}
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("%s: %v\n%s", b.name, err, out)
		}
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// OpenEngine opens an in-process engine on a fresh data root with
// busybox:latest bootstrapped (binaries from $BERTH_BIN: see Main). At the
// end of the test it removes every container and network and checks that no
// bridge or mount is left.
func OpenEngine(t *testing.T) *engine.Engine {
	t.Helper()
	bin := os.Getenv("BERTH_BIN")
	e, err := engine.New(engine.Options{Root: t.TempDir(),
		MonitorPath: filepath.Join(bin, "berth-monitor"), InitPath: filepath.Join(bin, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { teardown(t, e) })
	if _, err := e.Images().Bootstrap(context.Background(), "busybox", func(string) {}); err != nil {
		t.Fatal(err)
	}
	return e
}

func teardown(t *testing.T, e *engine.Engine) {
	ctx := context.Background()
	cs, err := e.List(ctx, true)
	if err != nil {
		t.Errorf("teardown list: %v", err)
	}
	for _, c := range cs {
		if err := e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true, Volumes: true}); err != nil {
			t.Errorf("teardown remove %s: %v", c.Name, err)
		}
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
