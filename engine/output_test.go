package engine_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"berth/engine"
	"berth/engine/logfile"
)

// alternating is a script that writes n lines to stdout and stderr in turn,
// pausing now and then so that it runs past the monitor's change of shape
// (some 15 ms after the start) and writes during it.
func alternating(n int) string {
	return fmt.Sprintf("i=0; while [ $i -lt %d ]; do echo $i-out; echo $i-err >&2; i=$((i+1)); [ $((i%%2)) = 0 ] && usleep 500; done", n)
}

func wantAlternating(n int) []string {
	var want []string
	for i := 0; i < n; i++ {
		want = append(want, fmt.Sprintf("%d-out", i), fmt.Sprintf("%d-err", i))
	}
	return want
}

// checkLogOrder reads a container's log and checks the order of its lines
// and the stream each was logged as.
func checkLogOrder(t *testing.T, e *engine.Engine, ref string, want []string) {
	t.Helper()
	ents, errs, err := e.Logs(context.Background(), ref, logfile.ReadOptions{Tail: -1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for ent := range ents {
		line := strings.TrimSuffix(string(ent.Line), "\n")
		if !strings.HasSuffix(line, "-"+ent.Stream[3:]) {
			t.Errorf("line %q logged as %s", line, ent.Stream)
		}
		got = append(got, line)
	}
	for err := range errs {
		t.Error(err)
	}
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			t.Errorf("log of %d lines differs from line %d: got %v, want %v", len(got), i, got[i:min(i+6, len(got))], want[i:min(i+6, len(want))])
			return
		}
	}
}

// TestOutputOrderAcrossTheMonitorsChangeOfShape writes during the monitor's
// re-exec. Known limit: under heavy load the hand-over can still let one
// stream's lines overtake the other's (seen once in make test at a load
// average above 10), so this runs in make test-stress, not make test; the
// common case (TestOutputOrderOfAShortRun, the CLI's
// TestOutputKeepsTheOrderOfWrites) runs in both.
func TestOutputOrderAcrossTheMonitorsChangeOfShape(t *testing.T) {
	if os.Getenv("BERTH_STRESS_SECONDS") == "" {
		t.Skip("writes across the monitor's change of shape: make test-stress")
	}
	e := newEngine(t)
	const n = 300
	want := wantAlternating(n)
	for attempt := 0; attempt < 3; attempt++ {
		c := startDetached(t, e, fmt.Sprintf("talker%d", attempt), opts("sh", "-c", alternating(n)))
		if code, err := e.Wait(context.Background(), c.ID); err != nil || code != 0 {
			t.Fatalf("wait: %d %v", code, err)
		}
		checkLogOrder(t, e, c.ID, want)
	}
}

func TestOutputOrderOfAShortRun(t *testing.T) {
	e := newEngine(t)
	for attempt := 0; attempt < 5; attempt++ {
		out, errOut, code := runAttached(t, e, opts("sh", "-c", "echo 1-out; echo 2-err >&2; echo 3-out; echo 4-err >&2"))
		if out != "1-out\n3-out\n" || errOut != "2-err\n4-err\n" || code != 0 {
			t.Fatalf("run: %q %q exit %d", out, errOut, code)
		}
	}
	cs, err := e.List(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		checkLogOrder(t, e, c.ID, []string{"1-out", "2-err", "3-out", "4-err"})
	}
}
