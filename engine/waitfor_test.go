package engine_test

import (
	"context"
	"testing"

	"berth/engine"
)

// TestWaitForNotRunning checks that a wait for a running container ends
// with the exit code of its kill (whether the wait began before the kill or
// only after it).
func TestWaitForNotRunning(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	up, err := e.Create(ctx, engine.CreateOptions{Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "1000"}},
		HostConfig: engine.HostConfig{NetworkMode: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, up.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	res := make(chan waitResult, 1)
	go func() {
		code, err := e.WaitFor(ctx, up.ID, engine.WaitNotRunning)
		res <- waitResult{code, err}
	}()
	if err := e.Kill(ctx, up.ID, "KILL"); err != nil {
		t.Fatal(err)
	}
	if r := <-res; r.err != nil || r.code != 137 {
		t.Errorf("not-running after a kill: code %d, err %v; want 137", r.code, r.err)
	}
}
