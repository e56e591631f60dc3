package main

import (
	"strings"
	"testing"
)

// TestSmallestMemoryLimit runs and execs in containers limited to 6 MB, the
// smallest limit Docker allows: a container's init is charged to that
// limit before it applies (the init's memory that berth maps in ahead to
// save page faults must stay well under it), and so is the init of an exec.
func TestSmallestMemoryLimit(t *testing.T) {
	c := newCLI(t)
	for i := 0; i < 3; i++ { // the heap's layout varies from run to run
		if out := c.ok("run", "--rm", "--network", "none", "-m", "6m", "busybox", "echo", "ran"); strings.TrimSpace(out) != "ran" {
			t.Fatalf("run -m 6m printed %q", out)
		}
	}
	c.ok("run", "-d", "--name", "small", "--network", "none", "-m", "6m", "busybox", "sleep", "300")
	for i := 0; i < 3; i++ {
		if out := c.ok("exec", "small", "echo", "execd"); strings.TrimSpace(out) != "execd" {
			t.Fatalf("exec in a 6 MB container printed %q", out)
		}
	}
	c.ok("rm", "-f", "small")
}
