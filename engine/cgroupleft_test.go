package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"berth/engine"
)

// TestRemoveTakesACgroupTheMonitorLeft: a monitor that ends while the kernel
// still calls the container's cgroup busy leaves it; the removal, after the
// monitor has ended, removes what is left in every hierarchy.
func TestRemoveTakesACgroupTheMonitorLeft(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, opts("true"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := e.Wait(wctx, c.ID); err != nil {
		t.Fatal(err)
	}
	var made []string
	for _, h := range []string{"memory", "pids", ""} {
		parent := filepath.Join("/sys/fs/cgroup", h, "berth")
		if _, err := os.Stat(parent); err != nil {
			continue // no such hierarchy here
		}
		dir := filepath.Join(parent, c.ID)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatalf("make the left cgroup: %v", err)
		}
		made = append(made, dir)
	}
	if len(made) == 0 {
		t.Skip("no berth cgroup parent on this machine")
	}
	t.Cleanup(func() {
		for _, d := range made {
			os.Remove(d)
		}
	})
	if err := e.Remove(ctx, c.ID, engine.RemoveOptions{}); err != nil {
		t.Fatalf("rm: %v", err)
	}
	assertGone(t, c.ID)
}
