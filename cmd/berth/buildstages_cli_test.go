package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestBuildStagesInParallel builds a target that needs two independent
// stages whose RUN steps only finish once both have started (they meet in a
// shared cache mount; each gives up after a minute): built one after the
// other, the first would never see the second and the build would fail.
// The stage the target does not need never runs, and each step's events
// name their stage.
func TestBuildStagesInParallel(t *testing.T) {
	t.Setenv("GOMAXPROCS", "4")
	c := newCLI(t)
	meet := func(me, other string) string {
		return "RUN --mount=type=cache,target=/c,id=meet touch /c/" + me + "; i=0; " +
			"while [ ! -e /c/" + other + " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; " +
			"test -e /c/" + other + " && echo " + me + " > /" + me + "\n"
	}
	df := "FROM busybox AS a\n" + meet("a", "b") +
		"FROM busybox AS b\n" + meet("b", "a") +
		"FROM busybox AS unused\nRUN echo unused stage ran; exit 1\n" +
		"FROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\nCMD cat /a /b\n"
	out, errOut, code := c.run(df, "build", "--progress", "plain", "-t", "par", "-")
	if code != 0 {
		t.Fatalf("build: exit %d: %s%s", code, out, errOut)
	}
	if got := c.ok("run", "--rm", "par"); got != "a\nb\n" {
		t.Errorf("run: %q", got)
	}
	if strings.Contains(errOut, "unused") {
		t.Errorf("the unneeded stage ran: %s", errOut)
	}
	// Each step started names its stage; its output lines carry the step's number.
	started := regexp.MustCompile(`(?m)^#(\d+) \[(a|b|stage-3) 1/1\] RUN`).FindAllStringSubmatch(errOut, -1)
	if len(started) != 2 || started[0][2] == started[1][2] {
		t.Errorf("want one RUN step started in stage a and one in b: %q\n%s", started, errOut)
	}
}
