package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/logfile"
	"berth/engine/monitor"
)

func startDetached(t *testing.T, e *engine.Engine, name string, o engine.CreateOptions) *engine.Container {
	t.Helper()
	ctx := context.Background()
	o.Name = name
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return c
}

func mustState(t *testing.T, e *engine.Engine, ref, status string) *engine.Container {
	t.Helper()
	c, err := e.Inspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if c.State.Status != status {
		t.Fatalf("%s: status %q, want %q (%+v)", ref, c.State.Status, status, c.State)
	}
	return c
}

func execOut(t *testing.T, e *engine.Engine, ref string, cmd ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code, err := e.Exec(context.Background(), ref, engine.ExecOptions{Cmd: cmd}, engine.IO{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("exec %v: %v", cmd, err)
	}
	return out.String(), code
}

func TestLifecycle(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	startDetached(t, e, "web", opts("sleep", "1000"))
	mustState(t, e, "web", "running")

	out, code := execOut(t, e, "web", "ps", "-o", "pid,comm")
	if code != 0 || !strings.Contains(out, "1 sleep") || strings.Count(out, "\n") != 3 {
		t.Errorf("exec ps: code %d, output:\n%s", code, out)
	}
	if err := e.Pause(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	mustState(t, e, "web", "paused")
	if _, err := e.Exec(ctx, "web", engine.ExecOptions{Cmd: []string{"true"}}, engine.IO{}); !errdefs.IsConflict(err) {
		t.Errorf("exec in paused container: %v", err)
	}
	if err := e.Unpause(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	mustState(t, e, "web", "running")
	if err := e.Rename(ctx, "web", "web2"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Inspect(ctx, "web"); !errdefs.IsNotFound(err) {
		t.Errorf("old name still resolves: %v", err)
	}
	if err := e.Remove(ctx, "web2", engine.RemoveOptions{}); !errdefs.IsConflict(err) {
		t.Errorf("rm of a running container: %v", err)
	}
	one := time.Second
	if err := e.Stop(ctx, "web2", engine.StopOptions{Timeout: &one}); err != nil { // sleep as PID 1 ignores SIGTERM: killed after 1 s
		t.Fatal(err)
	}
	c := mustState(t, e, "web2", "exited")
	if c.State.ExitCode != 137 {
		t.Errorf("exit code after stop: %d, want 137", c.State.ExitCode)
	}
	if err := e.Restart(ctx, "web2", engine.StopOptions{Timeout: &one}); err != nil {
		t.Fatal(err)
	}
	mustState(t, e, "web2", "running")
	if err := e.Kill(ctx, "web2", "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	if code, err := e.Wait(ctx, "web2"); err != nil || code != 137 {
		t.Errorf("wait: %d %v", code, err)
	}
	if err := e.Remove(ctx, "web2", engine.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	assertGone(t, c.ID)
	if _, err := os.Stat(c.LogPath); !os.IsNotExist(err) {
		t.Errorf("logs of removed container still there: %v", err)
	}
}

func TestKillWithSignalAndTrap(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	startDetached(t, e, "trap", opts("sh", "-c", "trap 'echo got usr1; exit 7' USR1; echo ready; while :; do sleep 0.1; done"))
	waitLogs(t, e, "trap", "ready\n") // the trap is set
	if err := e.Kill(ctx, "trap", "USR1"); err != nil {
		t.Fatal(err)
	}
	code, err := e.Wait(ctx, "trap")
	if err != nil || code != 7 {
		t.Fatalf("wait: %d %v", code, err)
	}
	if got := readLogs(t, e, "trap", logfile.ReadOptions{Tail: -1}); got != "ready\ngot usr1\n" {
		t.Errorf("logs %q", got)
	}
}

// waitLogs polls the logs of ref until they hold want; a minute without
// it fails the test.
func waitLogs(t *testing.T, e *engine.Engine, ref, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(readLogs(t, e, ref, logfile.ReadOptions{Tail: -1}), want) {
		if time.Now().After(deadline) {
			t.Fatalf("logs of %s never showed %q", ref, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitDead polls until process pid has ended (gone or a zombie).
func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d does not end", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readLogs(t *testing.T, e *engine.Engine, ref string, o logfile.ReadOptions) string {
	t.Helper()
	ents, errs, err := e.Logs(context.Background(), ref, o)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for ent := range ents {
		b.Write(ent.Line)
	}
	for err := range errs {
		t.Errorf("logs: %v", err)
	}
	return b.String()
}

func TestLogsWrittenWhileNoBerthRuns(t *testing.T) {
	root := t.TempDir()
	e, err := engine.New(engine.Options{Root: root,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Images().Bootstrap(context.Background(), "busybox", func(string) {}); err != nil {
		t.Fatal(err)
	}
	c := startDetached(t, e, "talker", opts("sh", "-c", "for i in 1 2 3 4 5 6; do echo line $i; sleep 0.05; done; echo oops >&2"))
	e.Close() // the starting process goes away; the monitor keeps writing
	logPath := filepath.Join(root, "containers", c.ID, c.ID+"-json.log")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(logPath); strings.Contains(string(b), "oops") {
			break // every line written while no engine was open
		}
		if time.Now().After(deadline) {
			t.Fatal("the monitor never logged the last line")
		}
	}
	e2 := openEngine(t, root, false)
	if code, err := e2.Wait(context.Background(), "talker"); err != nil || code != 0 {
		t.Fatalf("wait: %d %v", code, err)
	}
	if got := readLogs(t, e2, "talker", logfile.ReadOptions{Tail: 2}); got != "line 6\noops\n" {
		t.Errorf("tail 2: %q", got)
	}
	if got := readLogs(t, e2, "talker", logfile.ReadOptions{Tail: -1}); strings.Count(got, "line") != 6 {
		t.Errorf("all logs: %q", got)
	}
}

func TestMonitorKillIsRecovered(t *testing.T) {
	e := newEngine(t)
	c := startDetached(t, e, "orphan", opts("sleep", "1000"))
	st, err := monitor.ReadState(filepath.Join(e.Root(), "containers", c.ID, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(st.MonitorPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitDead(t, st.MonitorPid)
	got := mustState(t, e, "orphan", "exited")
	if got.State.ExitCode != 137 || !strings.Contains(got.State.Error, "monitor") {
		t.Errorf("state after monitor kill: %+v", got.State)
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", st.Pid)); err == nil && !strings.Contains(string(stat), ") Z ") {
		t.Errorf("container init %d still runs after recovery: %s", st.Pid, stat)
	}
	// It can start again, with a new monitor.
	if err := e.Start(context.Background(), "orphan", engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	mustState(t, e, "orphan", "running")
}

func TestRestartPolicyOnFailure(t *testing.T) {
	e := newEngine(t)
	o := opts("sh", "-c", "echo run; exit 3")
	o.HostConfig.RestartPolicy.Name, o.HostConfig.RestartPolicy.MaximumRetryCount = "on-failure", 2
	startDetached(t, e, "flaky", o)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		c, err := e.Inspect(ctx, "flaky")
		if err != nil {
			t.Fatal(err)
		}
		if c.State.Status == "exited" && c.RestartCount == 2 {
			if c.State.ExitCode != 3 {
				t.Errorf("exit code %d", c.State.ExitCode)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("restart count %d, state %+v", c.RestartCount, c.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := e.Wait(ctx, "flaky"); err != nil {
		t.Fatal(err)
	}
	if got := readLogs(t, e, "flaky", logfile.ReadOptions{Tail: -1}); got != "run\nrun\nrun\n" {
		t.Errorf("logs %q", got)
	}
}

func TestMemoryLimitOOMKill(t *testing.T) {
	e := newEngine(t)
	o := opts("sh", "-c", "tail /dev/zero")
	o.HostConfig.Memory = 32 << 20
	_, _, code := runAttached(t, e, o)
	cs, _ := e.List(context.Background(), true)
	if code != 137 || len(cs) != 1 || !cs[0].State.OOMKilled {
		t.Fatalf("exit %d, state %+v", code, cs[0].State)
	}
}

func TestPidsAndCPULimitsApply(t *testing.T) {
	e := newEngine(t)
	o := opts("sh", "-c", "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null; true")
	p := int64(42)
	o.HostConfig.PidsLimit, o.HostConfig.NanoCPUs = &p, 5e8
	out, _, code := runAttached(t, e, o)
	if code != 0 || !strings.Contains(out, "42") || !strings.Contains(out, "50000") {
		t.Errorf("limits inside: %q (exit %d)", out, code)
	}
}

func assertContainerDirs(t *testing.T, e *engine.Engine, want int) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(e.Root(), "containers"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != want {
		t.Errorf("container dirs: %d, want %d", len(ents), want)
	}
}

func TestLogsFollowReadsEveryLineOfAnExitedContainer(t *testing.T) {
	e := newEngine(t)
	c := startDetached(t, e, "burst", opts("seq", "1", "200000"))
	ents, errs, err := e.Logs(context.Background(), c.ID, logfile.ReadOptions{Tail: -1, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	n, last := 0, ""
	for ent := range ents {
		n++
		last = string(ent.Line)
	}
	for err := range errs {
		t.Error(err)
	}
	if n != 200000 || last != "200000\n" {
		t.Errorf("logs -f gave %d lines, last %q; want 200000", n, last)
	}
}
