package engine_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"berth/engine"
)

// attachResult is what an attach made from a start's Listening call got.
type attachResult struct {
	out, err string
	code     int
	aerr     error
}

// startAttachedEarly starts container id holding its process for a client,
// and attaches from the start's Listening call, as berth serve does for
// docker run; it returns the start's error and the attach's result.
func startAttachedEarly(t *testing.T, e *engine.Engine, id string) (error, attachResult, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	calls := 0
	done := make(chan attachResult, 1)
	err := e.Start(ctx, id, engine.StartOptions{WaitAttach: true, Listening: func() {
		calls++
		go func() {
			var out, errb bytes.Buffer
			code, aerr := e.Attach(ctx, id, engine.AttachOptions{}, engine.IO{Stdout: &out, Stderr: &errb})
			done <- attachResult{out.String(), errb.String(), code, aerr}
		}()
	}})
	if calls == 0 {
		return err, attachResult{}, calls
	}
	select {
	case r := <-done:
		return err, r, calls
	case <-ctx.Done():
		t.Fatal("the attach made from Listening did not end")
	}
	return err, attachResult{}, calls
}

// TestStartListeningAttachesBeforeTheProcessRuns: a client attached from
// the start's Listening call (before Start returns) is in place before the
// process runs: it gets all of its output and its exit code; a start that
// fails in the container (a missing command) still fails with its error,
// and the early attach ends instead of hanging.
func TestStartListeningAttachesBeforeTheProcessRuns(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, opts("sh", "-c", "echo early; echo err >&2; exit 5"))
	if err != nil {
		t.Fatal(err)
	}
	serr, r, calls := startAttachedEarly(t, e, c.ID)
	if serr != nil || calls != 1 {
		t.Fatalf("start: %v, Listening called %d times, want once", serr, calls)
	}
	if r.aerr != nil || r.out != "early\n" || r.err != "err\n" || r.code != 5 {
		t.Errorf("early attach: out %q, err %q, exit %d, %v; want \"early\\n\", \"err\\n\", 5", r.out, r.err, r.code, r.aerr)
	}
	bad, err := e.Create(ctx, opts("no-such-command"))
	if err != nil {
		t.Fatal(err)
	}
	serr, _, _ = startAttachedEarly(t, e, bad.ID)
	if !errors.Is(serr, engine.ErrCommandNotFound) {
		t.Errorf("start of a missing command: %v, want ErrCommandNotFound", serr)
	}
}
