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
	"berth/engine/health"
	"berth/images"
)

// TestHealthImageStartInterval: an image's HEALTHCHECK start interval (a
// field go-containerregistry's config lacks) reaches the container, whose
// checks run at it during the start period. The reference container differs
// only in its start interval (12s, set by the user): with the image's 100ms
// kept, the first container's third check starts before the reference's
// first; with Docker's default of 5s in its place (the image's interval
// lost) it would start at about 15s, after the reference's at 12s.
func TestHealthImageStartInterval(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	base, err := e.Images().Resolve("busybox")
	if err != nil {
		t.Fatal(err)
	}
	cfg := base.Config.Config
	cfg.Healthcheck = &v1.HealthConfig{Test: []string{"CMD-SHELL", "exit 1"}, Interval: time.Hour, StartPeriod: time.Hour, Retries: 1}
	if _, err := e.Images().Commit(ctx, images.CommitOptions{Parent: base, Config: cfg, CreatedBy: "HEALTHCHECK",
		Ext: images.ConfigExt{HealthStartInterval: 100 * time.Millisecond}, Tags: []string{"hcs:1"}}); err != nil {
		t.Fatal(err)
	}
	o := engine.CreateOptions{Config: engine.Config{Image: "hcs:1", Cmd: []string{"sleep", "1000"}}}
	startDetached(t, e, "image", o)
	o.Config.Healthcheck = &health.Config{StartInterval: 12 * time.Second}
	startDetached(t, e, "reference", o)

	c := waitHealth(t, e, "image", "three checks", func(h *health.State) bool { return len(h.Log) >= 3 })
	if hc := c.Config.Healthcheck; hc == nil || hc.StartInterval != 100*time.Millisecond || hc.Interval != time.Hour {
		t.Errorf("container's health config %+v, want the image's 100ms start interval", hc)
	}
	// Failures within the start period do not count: still starting.
	if c.State.Health.Status != health.Starting {
		t.Errorf("status %s within the start period", c.State.Health.Status)
	}
	third := c.State.Health.Log[2].Start
	ref, err := e.Inspect(ctx, "reference")
	if err != nil {
		t.Fatal(err)
	}
	if h := ref.State.Health; h != nil && len(h.Log) > 0 && !h.Log[0].Start.After(third) {
		t.Errorf("the image's third check (%v) did not start before the reference's first (%v)", third, h.Log[0].Start)
	}
}

// runsIn counts the lines the check appended to /tmp/runs in a container.
func runsIn(t *testing.T, c *engine.Container) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.GraphDriver.Data["UpperDir"], "tmp/runs"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestHealthPausedNoChecks: no check runs while a container is paused and
// its health stays as it was; checks resume once it is unpaused. The checks
// take a while (so one is likely caught by the pause); each counts itself
// in a file of the container.
func TestHealthPausedNoChecks(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	startDetached(t, e, "paused1", withCheck("echo >>/tmp/runs; sleep 0.2", health.Config{Interval: 50 * time.Millisecond}, "sleep", "1000"))
	waitHealth(t, e, "paused1", "two results", func(h *health.State) bool { return h.Status == health.Healthy && len(h.Log) >= 2 })
	if err := e.Pause(ctx, "paused1"); err != nil {
		t.Fatal(err)
	}
	before := mustState(t, e, "paused1", "paused")
	runsBefore, lastBefore := runsIn(t, before), before.State.Health.Log[len(before.State.Health.Log)-1]
	// Many intervals pass paused; a check ran in each without the pause.
	time.Sleep(40 * 50 * time.Millisecond)
	during := mustState(t, e, "paused1", "paused")
	h := during.State.Health
	if last := h.Log[len(h.Log)-1]; !last.Start.Equal(lastBefore.Start) || h.Status != health.Healthy {
		t.Errorf("health changed while paused: %+v, last result %+v (before: %+v)", h, last, lastBefore)
	}
	if n := runsIn(t, during); n != runsBefore {
		t.Errorf("%d checks ran while paused", n-runsBefore)
	}
	if err := e.Unpause(ctx, "paused1"); err != nil {
		t.Fatal(err)
	}
	unpaused := time.Now()
	c := waitHealth(t, e, "paused1", "a check after the unpause", func(h *health.State) bool {
		return h.Log[len(h.Log)-1].Start.After(unpaused)
	})
	if c.State.Health.Status != health.Healthy || runsIn(t, c) <= runsBefore {
		t.Errorf("after unpause: %+v, %d runs (%d before the pause)", c.State.Health, runsIn(t, c), runsBefore)
	}
}
