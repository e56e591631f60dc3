package main

import (
	"strings"
	"testing"
	"time"
)

// TestExecDetach: exec -d starts the process in the background and returns
// at once with exit 0 and no output (a process that never ends would hold an
// attached exec until the test's timeout); the process runs on.
func TestExecDetach(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "box", "busybox", "sleep", "1000")
	out, errOut, code := c.run("", "exec", "-d", "box", "sh", "-c", "echo $$ > /tmp/bg.pid; echo noise; exec sleep 999")
	if code != 0 || out != "" || errOut != "" {
		t.Fatalf("exec -d: exit %d, %q %q", code, out, errOut)
	}
	var pid string
	for deadline := time.Now().Add(30 * time.Second); pid == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		pid, _, _ = c.run("", "exec", "box", "cat", "/tmp/bg.pid")
		pid = strings.TrimSpace(pid)
	}
	if pid == "" {
		t.Fatal("the detached process never ran")
	}
	if ps := c.ok("exec", "box", "ps", "-o", "pid,args"); !strings.Contains(ps, pid+" sleep 999") {
		t.Errorf("the detached process %s is not running after exec -d returned:\n%s", pid, ps)
	}
	if top := c.ok("top", "box"); !strings.Contains(top, "sleep 999") {
		t.Errorf("top does not list the detached process:\n%s", top)
	}
	_, errOut, code = c.run("", "exec", "-dt", "box", "true")
	if code != 125 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "-t") {
		t.Errorf("exec -dt: exit %d, %q; want 125 and one line", code, errOut)
	}
}
