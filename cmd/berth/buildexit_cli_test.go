package main

import (
	"strings"
	"testing"
)

// TestBuildExitCodes: a build that fails exits 1, as docker build does
// (BuildKit's and dockerd 20.10's: a failing RUN, an unknown instruction, a
// missing base image, a missing context all exit 1), with its error printed;
// flag errors keep berth's 125 (docker's too).
func TestBuildExitCodes(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		say   string
	}{
		{"FROM busybox\nRUN exit 3\n", []string{"-"}, 1, "exit code: 3"},
		{"FROM busybox\nBOGUS x\n", []string{"-"}, 1, "unknown instruction: BOGUS"},
		{"FROM nosuch-base\n", []string{"-"}, 1, `unable to find image "nosuch-base" locally`},
		{"", []string{"/nonexistent-context"}, 1, "/nonexistent-context"},
		{"", []string{"--bogus-flag", "."}, 125, "unknown flag: --bogus-flag"},
	} {
		_, errOut, code := c.run(tc.stdin, append([]string{"build", "-q"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.say) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("build %v: exit %d, stderr %q; want exit %d saying %q", tc.args, code, errOut, tc.code, tc.say)
		}
	}
}
