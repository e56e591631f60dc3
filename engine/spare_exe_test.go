package engine_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/engine"
)

// monitorExeLink is where /proc/PID/exe of the monitor pid points.
func monitorExeLink(t *testing.T, pid int) string {
	t.Helper()
	l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// wantMonitorName checks that the process pid is named berth-monitor (ps,
// pgrep, top), however it was executed: within a while, as a process names
// itself once its Go runtime has started.
func wantMonitorName(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if string(b) == "berth-monitor\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s is named %q, want berth-monitor", what, strings.TrimSpace(string(b)))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitLean waits until the monitor pid has re-executed into its lean shape
// (its environment then carries the handoff).
func waitLean(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		env, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if strings.Contains(string(env), "BERTH_HANDOFF=") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("monitor %d did not go lean", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An engine that keeps spare monitors starts them from one sealed copy of
// the monitor binary (so that libcontainer need not clone it at each
// start): the container runs, its monitor re-executes into its lean shape
// from that copy, and the container stops and is removed as ever; its
// command line still names the binary on disk, and its name (ps, pgrep) is
// berth-monitor. A plain engine's monitor
// runs the binary on disk.
func TestKeptSparesRunFromASealedCopy(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, opts("sleep", "100"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if l := monitorExeLink(t, monitorPid(t, e, c.ID)); !strings.HasSuffix(l, "/berth-monitor") {
		t.Errorf("a plain engine's monitor runs %q, want the binary on disk", l)
	}

	e.KeepSpareMonitor(true)
	if out, _, code := runAttached(t, e, opts("echo", "one")); out != "one\n" || code != 0 {
		t.Fatalf("first run: %q, exit %d", out, code)
	}
	spare := waitSpares(t, 1)[0]
	if l := monitorExeLink(t, spare); !strings.HasPrefix(l, "/memfd:") {
		t.Errorf("a kept spare runs %q, want a sealed in-memory copy", l)
	}
	wantMonitorName(t, spare, "a kept spare")
	c, err = e.Create(ctx, opts("sleep", "100"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	pid := monitorPid(t, e, c.ID)
	waitLean(t, pid)
	if l := monitorExeLink(t, pid); !strings.HasPrefix(l, "/memfd:") {
		t.Errorf("the lean monitor runs %q, want the sealed copy", l)
	}
	wantMonitorName(t, pid, "the lean monitor")
	if cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); !strings.HasPrefix(string(cmd), binDir+"/berth-monitor\x00") {
		t.Errorf("the monitor's command line: %q, want the binary on disk first", cmd)
	}
	zero := time.Duration(0)
	if err := e.Stop(ctx, c.ID, engine.StopOptions{Timeout: &zero}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.Inspect(ctx, c.ID); err != nil || got.State.Running || got.State.ExitCode != 137 {
		t.Errorf("after stop: running %v, exit %d, %v", got.State.Running, got.State.ExitCode, err)
	}
}
