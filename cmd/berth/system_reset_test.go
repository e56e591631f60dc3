package main

import (
	"strings"
	"testing"
)

// TestSystemResetKeepsNamedVolumes checks that system reset's help says named
// volumes stay, and that they do (anonymous ones go with their containers).
func TestSystemResetKeepsNamedVolumes(t *testing.T) {
	c := newCLI(t)
	help := c.ok("system", "reset", "--help")
	if !strings.Contains(strings.SplitN(help, "\n", 2)[0], "named volumes stay") {
		t.Errorf("system reset --help does not say named volumes stay: %q", help)
	}
	c.ok("volume", "create", "keepme")
	c.ok("create", "--name", "user", "-v", "keepme:/data", "-v", "/anon", "busybox", "true")
	c.ok("system", "reset", "-f")
	if got := c.ok("volume", "ls", "-q"); got != "keepme\n" {
		t.Errorf("volumes after reset: %q, want only the named one", got)
	}
	c.ok("volume", "rm", "keepme")
}
