package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"berth/engine/events"
	"berth/testdata/fuzzcheck"
)

// TestHugeValues: a 1 MiB label, a 1 MiB name and 100,000 environment
// variables are kept whole (inspect, events, the process's environment) or
// refused with one plain sentence; nothing is truncated and nothing crashes.
func TestHugeValues(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	big := strings.Repeat("v", 1<<20)

	o := opts("true")
	o.Config.Labels = map[string]string{"big": big}
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatalf("create with a 1 MiB label: %v", err)
	}
	if got, err := e.Inspect(ctx, c.ID); err != nil || got.Config.Labels["big"] != big {
		t.Fatalf("inspect: the 1 MiB label came back as %d bytes, %v", len(got.Config.Labels["big"]), err)
	}
	evs, err := e.ReadEvents(ctx, events.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		found = found || (ev.ID == c.ID && ev.Action == "create" && ev.Attributes["big"] == big)
	}
	if !found {
		t.Fatal("the create event does not carry the 1 MiB label whole")
	}

	o = opts("true")
	o.Name = strings.Repeat("n", 1<<20)
	if c, err := e.Create(ctx, o); err != nil {
		fuzzcheck.Check(t, err)
		if len(err.Error()) > 1024 {
			t.Fatalf("the error for a 1 MiB name is %d bytes long", len(err.Error()))
		}
	} else if got, err := e.Inspect(ctx, o.Name); err != nil || got.ID != c.ID || got.Name != "/"+o.Name {
		t.Fatalf("a 1 MiB name was accepted but does not find its container: %v", err)
	}

	// env prints the environment itself: busybox sh takes minutes to import
	// 100,000 variables, which is not what this test is about.
	const n = 100000
	o = opts("env")
	for i := range n {
		o.Config.Env = append(o.Config.Env, fmt.Sprintf("E%d=%d", i, i))
	}
	stdout, stderr, code := runAttached(t, e, o)
	got := 0
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "E") && strings.Contains(l, "=") {
			got++
		}
	}
	if code != 0 || got != n || !strings.Contains(stdout, "\nE99999=99999\n") {
		t.Fatalf("100,000 variables: exit %d, %d of them in the process, stderr %q", code, got, stderr)
	}
}
