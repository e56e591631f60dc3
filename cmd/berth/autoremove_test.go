package main

import (
	"strings"
	"syscall"
	"testing"
)

// TestRunRmOutlivesItsClient: a `run --rm` whose attached client goes away
// (killed here; detach keys do the same) is still removed when the container
// ends, as dockerd removes it.
func TestRunRmOutlivesItsClient(t *testing.T) {
	c := newCLI(t)
	cmd := c.command("run", "--rm", "--name", "orphan", "busybox", "sh", "-c", "echo up; sleep 2")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := out.Read(buf); err != nil || string(buf) != "up\n" {
		t.Fatalf("first output %q: %v", buf, err)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	c.waitFor("orphan removed after its client was killed", func(s string) bool {
		return !strings.Contains(s, "orphan")
	}, "ps", "-a", "--format", "{{.Names}}")
	// An attached --rm run that ends normally is gone when run returns,
	// with no error from the monitor's own removal racing it.
	for i := 0; i < 3; i++ {
		if got := c.ok("run", "--rm", "busybox", "echo", "hi"); got != "hi\n" {
			t.Fatalf("run --rm: %q", got)
		}
		if got := c.ok("ps", "-aq"); got != "" {
			t.Fatalf("run --rm left %q", got)
		}
	}
}
