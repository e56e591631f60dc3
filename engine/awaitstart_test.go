package engine_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"berth/engine"
)

// TestAwaitStartHoldsAStartMadeElsewhere: a client that awaits a
// container's start in one engine (one berth process) gets its process
// held when another engine on the root (another process: the CLI, a
// second dial-stdio) starts it, so its attach misses none of the output; a
// start made once the wait is released holds nothing.
func TestAwaitStartHoldsAStartMadeElsewhere(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	other, err := engine.New(engine.Options{Root: e.Root(),
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c, err := e.Create(ctx, engine.CreateOptions{Config: engine.Config{Image: "busybox", Cmd: []string{"echo", "first words"}}})
	if err != nil {
		t.Fatal(err)
	}
	started, release, err := e.AwaitStart(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	select {
	case <-started:
		t.Fatal("started closed before any start")
	case <-time.After(100 * time.Millisecond):
	}
	if err := other.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("started never closed")
	}
	if got, _ := e.Inspect(ctx, c.ID); got.State.Status != "created" {
		t.Errorf("a start made while a client awaits it: status %q, want created (held)", got.State.Status)
	}
	var out bytes.Buffer
	code, err := e.Attach(ctx, c.ID, engine.AttachOptions{}, engine.IO{Stdout: &out, Stderr: &out})
	if err != nil || code != 0 || out.String() != "first words\n" {
		t.Fatalf("attach: code %d err %v out %q", code, err, out.String())
	}
	release()
	if _, err := other.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := other.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, err := other.Wait(ctx, c.ID); err != nil || code != 0 {
		t.Errorf("a start with no one waiting to attach: code %d err %v (was it held?)", code, err)
	}
}
