package tui

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"berth/engine"
)

// binDir holds berth-monitor and berth-init for the real-engine tests.
var binDir string

func TestMain(m *testing.M) {
	cleanup := func() {}
	flag.Parse()
	if os.Geteuid() == 0 && !testing.Short() {
		dir, done, err := buildBinaries()
		if err != nil {
			fmt.Fprintln(os.Stderr, "build test binaries:", err)
			os.Exit(1)
		}
		binDir, cleanup = dir, done
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// buildBinaries uses $BERTH_BIN (make test sets it) or builds the monitor
// and init into a temporary directory.
func buildBinaries() (string, func(), error) {
	if d := os.Getenv("BERTH_BIN"); d != "" {
		return d, func() {}, nil
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
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("%s: %v\n%s", b.name, err, out)
		}
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// realEngine opens an engine in a temporary root with busybox bootstrapped
// and removes every container at the end.
func realEngine(t *testing.T) *engine.Engine { return realEngineB(t) }

// realEngineB is realEngine for tests and benchmarks.
func realEngineB(t testing.TB) *engine.Engine {
	t.Helper()
	if binDir == "" {
		t.Skip("the real-engine flow needs root (and not -short)")
	}
	e, err := engine.New(engine.Options{Root: t.TempDir(),
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.BootstrapImage(context.Background(), "busybox", func(string) {}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs, _ := e.List(context.Background(), true)
		for _, c := range cs {
			if err := e.Remove(context.Background(), c.ID, engine.RemoveOptions{Force: true}); err != nil {
				t.Errorf("remove %s: %v", c.Name, err)
			}
		}
		if err := e.Networks().RemoveAll(context.Background()); err != nil {
			t.Errorf("remove networks: %v", err)
		}
		e.Close()
	})
	return e
}

func runDetached(t *testing.T, e *engine.Engine, name string, cmd ...string) *engine.Container {
	t.Helper()
	ctx := context.Background()
	one := 1
	c, err := e.Create(ctx, engine.CreateOptions{Name: name, Config: engine.Config{Image: "busybox", Cmd: cmd, StopTimeout: &one}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	return c
}

// recorder wraps the root model and keeps the last frame it drew, so the
// test reads the screen as a whole rather than the renderer's diffs.
type recorder struct {
	*Model
	mu    sync.Mutex
	frame string
}

func (r *recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := r.Model.Update(msg)
	return r, cmd
}

func (r *recorder) View() tea.View {
	v := r.Model.View()
	r.mu.Lock()
	r.frame = ansi.Strip(v.Content)
	r.mu.Unlock()
	return v
}

func (r *recorder) screen() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frame
}

// screenHas waits until the last frame shows all of want.
func screenHas(t *testing.T, r *recorder, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := r.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen never showed %q:\n%s", missing, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStopFromTheUI runs the UI on a real engine: a container started with
// the engine shows as running, S stops it, it turns exited; a container
// started behind the UI's back appears from the events log.
func TestStopFromTheUI(t *testing.T) {
	e := realEngine(t)
	runDetached(t, e, "web", "sh", "-c", "trap 'exit 0' TERM; while :; do echo tick; sleep 0.2; done")
	one := 1
	vo := engine.CreateOptions{Name: "other", Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "1000"}, StopTimeout: &one}}
	vo.HostConfig.Mounts = []engine.MountSpec{{Type: "volume", Source: "tuidata", Target: "/data"}}
	if c, err := e.Create(context.Background(), vo); err != nil {
		t.Fatal(err)
	} else if err := e.Start(context.Background(), c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	opts := Options{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{Model: New(ctx, e, opts)}
	tm := teatest.NewTestModel(t, rec, teatest.WithInitialTermSize(120, 40))
	screenHas(t, rec, "other", "web", "running")
	tm.Send(press("3")) // the containers run on the default bridge
	screenHas(t, rec, "Networks 3", "bridge", "host", "none", `"Name": "bridge"`)
	tm.Send(press("]"))
	screenHas(t, rec, "Containers on bridge — 2 attached", "web", "other", "eth0")
	tm.Send(press("4")) // other mounts the named volume tuidata at /data
	screenHas(t, rec, "Volumes 1", "tuidata", `"Name": "tuidata"`)
	tm.Send(press("]"))
	screenHas(t, rec, "Containers mounting tuidata — 1", "other", "/data", "rw")
	tm.Send(press("1"))
	screenHas(t, rec, "Containers 2")

	tm.Send(press("j")) // web is below other (newest first)
	screenHas(t, rec, "Logs web", "tick")
	tm.Send(press("[")) // the X-ray of the real container
	screenHas(t, rec, "X-ray web", "● own  mnt", "memory/memory.limit_in_bytes")
	tm.Send(press("S"))
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := e.Inspect(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if !c.State.Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("web never stopped")
		}
		time.Sleep(100 * time.Millisecond)
	}
	screenHas(t, rec, "exited 0")

	runDetached(t, e, "late", "sleep", "1000")
	// The start event can show before the re-list that follows it.
	screenHas(t, rec, "late", "start late", "2/3 up")

	tm.Send(press("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*recorder)
	frame := ansi.Strip(final.Render())
	for _, want := range []string{"web", "exited 0", "late", "2/3 up"} {
		if !strings.Contains(frame, want) {
			t.Errorf("final frame lacks %q:\n%s", want, frame)
		}
	}
	if cs, _ := e.List(ctx, false); len(cs) != 2 {
		t.Errorf("quitting the UI stopped containers: %d running", len(cs))
	}
	if !bytes.Contains([]byte(strings.Join(final.commands, "\n")), []byte("berth stop web")) {
		t.Errorf("command log: %q", final.commands)
	}
}

// TestXRayNetworkReal x-rays a real container on the default bridge with a
// published port: its veth is in the bridge, its namespace routes through the
// gateway, and berth's nftables rules for it and its network are found.
func TestXRayNetworkReal(t *testing.T) {
	e := realEngine(t)
	ctx := context.Background()
	one := 1
	o := engine.CreateOptions{Name: "xnet", Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "1000"}, StopTimeout: &one}}
	o.HostConfig.PortBindings = engine.PortMap{"80/tcp": {{HostIP: "", HostPort: "0"}}}
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if c, err = e.Inspect(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	r, err := defaultXRay(e)(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	n := r.Network
	if n == nil || len(n.Endpoints) != 1 {
		t.Fatalf("network: %+v", n)
	}
	ep := n.Endpoints[0]
	if ep.IfName != "eth0" || ep.HostVeth == "" || ep.Bridge != e.Networks().DefaultBridge() || !ep.IP.IsValid() {
		t.Errorf("endpoint: %+v", ep)
	}
	if len(n.Routes) == 0 || n.Routes[0].Dst != "default" || n.Routes[0].Gateway != ep.Gateway {
		t.Errorf("routes: %+v", n.Routes)
	}
	kinds := map[string]bool{}
	for _, ru := range n.Rules {
		kinds[ru.Chain+" "+ru.Kind] = true
	}
	for _, want := range []string{"prerouting dnat", "postrouting masquerade", "forward drop"} {
		if !kinds[want] {
			t.Errorf("no %s rule among %+v", want, n.Rules)
		}
	}
	if len(n.Ports) != 1 || n.Err != "" {
		t.Errorf("ports %q, err %q", n.Ports, n.Err)
	}
}
