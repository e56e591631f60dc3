package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"berth/engine"
	"berth/engine/events"
	"berth/engine/health"
	"berth/images"
)

// healthWait is how long a test waits for a health state: generous, as
// tests share a small machine; no test asserts how long a check took.
const healthWait = 60 * time.Second

// waitHealth polls a container until ok says its health is as wanted.
func waitHealth(t *testing.T, e *engine.Engine, ref, what string, ok func(*health.State) bool) *engine.Container {
	t.Helper()
	deadline := time.Now().Add(healthWait)
	for {
		c, err := e.Inspect(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if c.State.Health != nil && ok(c.State.Health) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s health after %v: %+v", ref, what, healthWait, c.State.Health)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func status(want string) func(*health.State) bool {
	return func(h *health.State) bool { return h.Status == want }
}

func withCheck(cmd string, c health.Config, args ...string) engine.CreateOptions {
	o := opts(args...)
	c.Test = []string{"CMD-SHELL", cmd}
	o.Config.Healthcheck = &c
	return o
}

func TestHealthHealthyAndUnhealthy(t *testing.T) {
	e := newEngine(t)
	ms := 100 * time.Millisecond
	startDetached(t, e, "good", withCheck("echo fine", health.Config{Interval: ms}, "sleep", "1000"))
	startDetached(t, e, "bad", withCheck("echo broken >&2; exit 3", health.Config{Interval: ms, Retries: 2}, "sleep", "1000"))
	missing := opts("sleep", "1000")
	missing.Config.Healthcheck = &health.Config{Test: []string{"CMD", "/no/such/check"}, Interval: ms, Retries: 1}
	startDetached(t, e, "missing", missing)

	c := waitHealth(t, e, "good", "healthy", status(health.Healthy))
	if r := c.State.Health.Log[len(c.State.Health.Log)-1]; r.ExitCode != 0 || r.Output != "fine\n" || r.End.Before(r.Start) {
		t.Errorf("healthy result: %+v", r)
	}
	if s := c.StatusText(time.Now()); !strings.HasSuffix(s, " (healthy)") || !strings.HasPrefix(s, "Up ") {
		t.Errorf("status text %q", s)
	}
	c = waitHealth(t, e, "bad", "unhealthy", status(health.Unhealthy))
	h := c.State.Health
	if h.FailingStreak < 2 || h.Log[len(h.Log)-1].ExitCode != 3 || h.Log[len(h.Log)-1].Output != "broken\n" {
		t.Errorf("unhealthy state: %+v (last %+v)", h, h.Log[len(h.Log)-1])
	}
	// A check that cannot be started fails as Docker's does: -1 and the error.
	c = waitHealth(t, e, "missing", "unhealthy", status(health.Unhealthy))
	if r := c.State.Health.Log[0]; r.ExitCode != -1 || !strings.Contains(r.Output, "/no/such/check") {
		t.Errorf("result of a missing command: %+v", r)
	}
	// Five results at most, oldest first.
	c = waitHealth(t, e, "good", "full log", func(h *health.State) bool { return len(h.Log) == health.MaxLog })
	for i := 1; i < len(c.State.Health.Log); i++ {
		if c.State.Health.Log[i].Start.Before(c.State.Health.Log[i-1].Start) {
			t.Errorf("log out of order: %+v", c.State.Health.Log)
		}
	}
	evs, err := e.ReadEvents(context.Background(), events.Filter{Actions: []string{"health_status"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, ev := range evs {
		got[ev.Attributes["name"]+" "+ev.Action] = true
	}
	if !got["good health_status: healthy"] || !got["bad health_status: unhealthy"] {
		t.Errorf("health events: %v", got)
	}
	// Stopped, the checks end: unhealthy, as Docker leaves it.
	if err := e.Stop(context.Background(), "good", engine.StopOptions{}); err != nil {
		t.Fatal(err)
	}
	c = mustState(t, e, "good", "exited")
	if c.State.Health == nil || c.State.Health.Status != health.Unhealthy {
		t.Errorf("health after stop: %+v", c.State.Health)
	}
}

// sleepers counts the processes in a container's cgroup that run "sleep 100".
func sleepers(t *testing.T, id string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/pids/berth", id, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range strings.Fields(string(b)) {
		cmd, _ := os.ReadFile("/proc/" + p + "/cmdline")
		if string(cmd) == "sleep\x00100\x00" {
			n++
		}
	}
	return n
}

func TestHealthHungCheckKilledAtTimeout(t *testing.T) {
	e := newEngine(t)
	// The check leaves a background sleep behind too: its process group goes.
	c := startDetached(t, e, "hung", withCheck("sleep 100 & sleep 100",
		health.Config{Interval: 100 * time.Millisecond, Timeout: 200 * time.Millisecond, Retries: 2}, "sleep", "1000"))
	got := waitHealth(t, e, "hung", "three timeouts", func(h *health.State) bool { return len(h.Log) >= 3 })
	h := got.State.Health
	if h.Status != health.Unhealthy {
		t.Errorf("status %s after %d timeouts", h.Status, len(h.Log))
	}
	for _, r := range h.Log {
		if r.ExitCode != -1 || r.Output != "Health check exceeded timeout (200ms)" {
			t.Errorf("timed-out result: %+v", r)
		}
	}
	// Three checks timed out: left alone they would leave six sleepers; the
	// check running now has two, the last one killed at most one still dying.
	if n := sleepers(t, c.ID); n > 3 {
		t.Errorf("%d hung check processes left in the container", n)
	}
	if err := e.Remove(context.Background(), "hung", engine.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	assertGone(t, c.ID)
}

// commitWithCheck makes image hc:1, busybox with a HEALTHCHECK.
func commitWithCheck(t *testing.T, e *engine.Engine, hc *v1.HealthConfig) {
	t.Helper()
	base, err := e.Images().Resolve("busybox")
	if err != nil {
		t.Fatal(err)
	}
	cfg := base.Config.Config
	cfg.Healthcheck = hc
	if _, err := e.Images().Commit(context.Background(), images.CommitOptions{Parent: base, Config: cfg,
		CreatedBy: "HEALTHCHECK", Tags: []string{"hc:1"}}); err != nil {
		t.Fatal(err)
	}
}

func TestHealthFromImageAndOverrides(t *testing.T) {
	e := newEngine(t)
	commitWithCheck(t, e, &v1.HealthConfig{Test: []string{"CMD-SHELL", "echo from-image; exit $FAIL"},
		Interval: 100 * time.Millisecond, Retries: 50})
	img := func(name string, hc *health.Config, env ...string) {
		o := engine.CreateOptions{Config: engine.Config{Image: "hc:1", Cmd: []string{"sleep", "1000"}, Env: env, Healthcheck: hc}}
		startDetached(t, e, name, o)
	}
	img("image", nil, "FAIL=0")
	img("none", &health.Config{Test: []string{"NONE"}}, "FAIL=0")
	img("retries", &health.Config{Retries: 1}, "FAIL=1") // the image's test, the user's retries
	img("cmd", &health.Config{Test: []string{"CMD", "sh", "-c", "echo own"}})

	c := waitHealth(t, e, "image", "healthy", status(health.Healthy))
	if c.State.Health.Log[0].Output != "from-image\n" {
		t.Errorf("image check output %q", c.State.Health.Log[0].Output)
	}
	if hc := c.Config.Healthcheck; hc == nil || hc.Interval != 100*time.Millisecond || hc.Test[0] != "CMD-SHELL" {
		t.Errorf("merged config %+v", hc)
	}
	c = waitHealth(t, e, "retries", "unhealthy", status(health.Unhealthy))
	if hc := c.Config.Healthcheck; hc.Retries != 1 || hc.Interval != 100*time.Millisecond || hc.Test[1] != "echo from-image; exit $FAIL" {
		t.Errorf("field-by-field merge %+v", hc)
	}
	c = waitHealth(t, e, "cmd", "healthy", status(health.Healthy))
	if c.State.Health.Log[0].Output != "own\n" {
		t.Errorf("exec-form check output %q", c.State.Health.Log[0].Output)
	}
	// By now the image's check ran several times in its container; with
	// NONE the other has no health at all.
	waitHealth(t, e, "image", "three results", func(h *health.State) bool { return len(h.Log) >= 3 })
	c = mustState(t, e, "none", "running")
	if c.State.Health != nil || strings.Contains(c.StatusText(time.Now()), "(") {
		t.Errorf("--no-healthcheck container has health %+v, status %q", c.State.Health, c.StatusText(time.Now()))
	}
}

func TestHealthRestartResetsToStarting(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	// Within the (long) start period failures do not count: the container
	// stays "starting" until a check passes.
	startDetached(t, e, "svc", withCheck("test -f /ready", health.Config{Interval: 10 * time.Minute,
		StartPeriod: time.Hour, StartInterval: 100 * time.Millisecond}, "sleep", "1000"))
	c := waitHealth(t, e, "svc", "a failure", func(h *health.State) bool { return len(h.Log) > 0 })
	if h := c.State.Health; h.Status != health.Starting || h.FailingStreak != 0 || h.Log[0].ExitCode != 1 {
		t.Errorf("in start period: %+v", h)
	}
	if s := c.StatusText(time.Now()); !strings.HasSuffix(s, " (health: starting)") {
		t.Errorf("status text %q", s)
	}
	execOut(t, e, "svc", "touch", "/ready")
	waitHealth(t, e, "svc", "healthy", status(health.Healthy))
	execOut(t, e, "svc", "rm", "/ready")
	if err := e.Restart(ctx, "svc", engine.StopOptions{}); err != nil {
		t.Fatal(err)
	}
	c = mustState(t, e, "svc", "running")
	if h := c.State.Health; h == nil || h.Status != health.Starting || len(h.Log) == 0 {
		t.Errorf("after restart: %+v", h)
	}
	passed := false
	for _, r := range c.State.Health.Log {
		passed = passed || r.ExitCode == 0
	}
	if !passed {
		t.Errorf("the results before the restart were dropped: %+v", c.State.Health.Log)
	}
}
