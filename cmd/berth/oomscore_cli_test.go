package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// hasSysResource says whether this process has CAP_SYS_RESOURCE, which
// lowering an oom_score_adj needs (some sandboxes take it from root).
func hasSysResource(t *testing.T) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:\t"); ok {
			caps, err := strconv.ParseUint(v, 16, 64)
			return err == nil && caps&(1<<24) != 0
		}
	}
	return false
}

// TestOomScoreAdj: --oom-score-adj is the container's oom_score_adj and
// inspect's HostConfig.OomScoreAdj; out of -1000..1000 it is refused.
func TestOomScoreAdj(t *testing.T) {
	c := newCLI(t)
	own, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{"500": "500", "1000": "1000", "0": strings.TrimSpace(string(own))}
	if hasSysResource(t) {
		values["-300"] = "-300"
	}
	for n, want := range values {
		id := strings.TrimSpace(c.ok("create", "--oom-score-adj", n, "busybox", "cat", "/proc/1/oom_score_adj"))
		if got := strings.TrimSpace(c.ok("inspect", "-f", "{{.HostConfig.OomScoreAdj}}", id)); got != n {
			t.Errorf("--oom-score-adj %s: inspect %s", n, got)
		}
		if got := strings.TrimSpace(c.ok("start", "-a", id)); got != want {
			t.Errorf("--oom-score-adj %s: the container has %s, want %s", n, got, want)
		}
		c.ok("rm", id)
	}
	refusedAll(t, c, map[string]string{
		"run --rm --oom-score-adj 1001 busybox true":  "invalid --oom-score-adj 1001",
		"run --rm --oom-score-adj -1001 busybox true": "invalid --oom-score-adj -1001",
		"create --oom-score-adj x busybox true":       `invalid --oom-score-adj "x"`,
	})
}
