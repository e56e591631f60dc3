package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// merged runs berth with stdout and stderr on one pipe, as a terminal shows
// them, and returns what came out and the exit code.
func (c *cli) merged(args ...string) (string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "berth"), append([]string{"--root", c.root}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("berth %v: %v", args, err)
	}
	return out.String(), 0
}

// waitFor polls berth with args until its output satisfies ok; a hang
// (nothing after a minute) fails the test.
func (c *cli) waitFor(what string, ok func(string) bool, args ...string) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out, _, _ := c.run("", args...)
		if ok(out) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: never happened (last: %q)", what, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOutputKeepsTheOrderOfWrites(t *testing.T) {
	c := newCLI(t)
	const script = "echo 1-out; echo 2-err >&2; echo 3-out; echo 4-err >&2"
	const want = "1-out\n2-err\n3-out\n4-err\n"
	for i := 0; i < 5; i++ {
		name := "order" + string(rune('a'+i))
		if out, code := c.merged("run", "--name", name, "busybox", "sh", "-c", script); out != want || code != 0 {
			t.Errorf("run, attempt %d: %q exit %d, want %q", i, out, code, want)
		}
		if out, code := c.merged("logs", name); out != want || code != 0 {
			t.Errorf("logs, attempt %d: %q exit %d, want %q", i, out, code, want)
		}
	}
	// Detached, with the log the only reader.
	c.ok("run", "-d", "--name", "detached", "busybox", "sh", "-c", script)
	c.ok("wait", "detached")
	if out, _ := c.merged("logs", "detached"); out != want {
		t.Errorf("logs of a detached run: %q, want %q", out, want)
	}
}

func TestVerbsOnARestartingContainer(t *testing.T) {
	c := newCLI(t)
	flapping := func(name string) {
		c.ok("run", "-d", "--name", name, "--restart", "always", "busybox", "sh", "-c", "exit 1")
	}
	flapping("flaky")
	c.ok("run", "-d", "--name", "steady", "busybox", "sleep", "100")
	restarting := func(name string) { // between two runs, with a backoff of 400 ms or more
		c.waitFor(name+" restarting", func(out string) bool {
			f := strings.Fields(out)
			n, _ := strconv.Atoi(f[len(f)-1])
			return f[0] == "true" && n >= 3
		}, "inspect", "-f", "{{.State.Restarting}} {{.RestartCount}}", name)
	}
	restarting("flaky")
	ids := strings.Fields(c.ok("ps", "-q"))
	out, errOut, code := c.run("", append([]string{"stop", "-t", "1"}, ids...)...)
	if code != 0 || errOut != "" || strings.Count(out, "\n") != len(ids) {
		t.Errorf("stop of all, one restarting: %q %q exit %d", out, errOut, code)
	}
	if got := c.ok("inspect", "-f", "{{.State.Status}}", "flaky", "steady"); got != "exited\nexited\n" {
		t.Errorf("after stop: %q", got)
	}
	if got := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "container=flaky", "--filter", "event=stop", "--format", "{{.Action}}"); got != "stop\n" {
		t.Errorf("stop events of flaky: %q", got)
	}
	flapping("flaky2")
	restarting("flaky2")
	if out, errOut, code := c.run("", "kill", "flaky2"); code != 0 || out != "flaky2\n" {
		t.Errorf("kill of a restarting container: %q %q exit %d", out, errOut, code)
	}
	if got := c.ok("inspect", "-f", "{{.State.Status}}", "flaky2"); got != "exited\n" {
		t.Errorf("after kill: %q", got)
	}
	flapping("flaky3")
	restarting("flaky3")
	if out, errOut, code := c.run("", "restart", "-t", "1", "flaky3"); code != 0 || out != "flaky3\n" {
		t.Errorf("restart of a restarting container: %q %q exit %d", out, errOut, code)
	}
	flapping("flaky4")
	restarting("flaky4")
	if out, errOut, code := c.run("", "rm", "-f", "flaky4"); code != 0 || out != "flaky4\n" {
		t.Errorf("rm -f of a restarting container: %q %q exit %d", out, errOut, code)
	}
}

// stop, kill and restart of several containers act on all of them at once:
// three containers that ignore SIGTERM each get it while the first is still
// being waited for (with -t 600, one after the other could not).
func TestStopOfSeveralContainersIsConcurrent(t *testing.T) {
	c := newCLI(t)
	names := []string{"one", "two", "three"}
	for _, n := range names {
		c.ok("run", "-d", "--name", n, "busybox", "sh", "-c", "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.1; done")
		c.waitFor(n+" ready", func(out string) bool { return out == "ready\n" }, "logs", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stop := exec.CommandContext(ctx, filepath.Join(binDir, "berth"), append([]string{"--root", c.root, "stop", "-t", "600"}, names...)...)
	var out, errOut bytes.Buffer
	stop.Stdout, stop.Stderr = &out, &errOut
	if err := stop.Start(); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		c.waitFor(n+" got SIGTERM", func(out string) bool { return strings.Contains(out, "got-term") }, "logs", n)
	}
	if got := c.ok("kill", "three", "one", "two"); got != "three\none\ntwo\n" {
		t.Errorf("kill prints %q, want the names in argument order", got)
	}
	if err := stop.Wait(); err != nil || out.String() != "one\ntwo\nthree\n" {
		t.Errorf("stop: %v, printed %q %q", err, out.String(), errOut.String())
	}
	// One failure among several: the others are still done, exit 1.
	c.ok("start", "one")
	got, errs, code := c.run("", "stop", "-t", "1", "nosuch", "one")
	if code != 1 || got != "one\n" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "nosuch") {
		t.Errorf("stop with a missing container: %q %q exit %d", got, errs, code)
	}
}
