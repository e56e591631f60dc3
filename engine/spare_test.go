package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/engine"
	"berth/images/build"
)

// spareMonitors lists the spare monitors this process started: its children
// that run berth-monitor with a placeholder for a config (a spare gets its
// config later).
func spareMonitors(t *testing.T) []int {
	t.Helper()
	placeholder := "/containers/" + strings.Repeat("-", 64) + "/monitor.json\x00"
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + ent.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + ent.Name() + "/cmdline")
		if bytes.HasPrefix(cmd, []byte(filepath.Join(binDir, "berth-monitor")+"\x00")) && bytes.HasSuffix(cmd, []byte(placeholder)) {
			out = append(out, pid)
		}
	}
	return out
}

// waitSpares waits until this process has n spare monitors and returns them.
func waitSpares(t *testing.T, n int) []int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := spareMonitors(t)
		if len(got) == n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("spare monitors: got %v, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func monitorPid(t *testing.T, e *engine.Engine, id string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.Root(), "containers", id, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ MonitorPid int }
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st.MonitorPid
}

// An engine that keeps a spare monitor hands the next start to it: the
// container runs under that very process, with its output and exit code;
// letting spares go, or closing the engine, leaves no spare behind.
func TestSpareMonitorTakesTheNextStart(t *testing.T) {
	t.Cleanup(func() { waitSpares(t, 0) }) // after the engine's Close (cleanups run last first)
	e := newEngine(t)
	ctx := context.Background()
	e.KeepSpareMonitor(true)
	if out, _, code := runAttached(t, e, opts("echo", "one")); out != "one\n" || code != 0 {
		t.Fatalf("first run: %q, exit %d", out, code)
	}
	spare := waitSpares(t, 1)[0] // started once the first start had its monitor
	if got := procStatField(t, spare, 41); got != "5" {
		t.Errorf("the spare's scheduling policy: %s, want 5 (SCHED_IDLE)", got)
	}
	// The spare waited at the lowest priority (and SCHED_IDLE); the
	// container runs at ours.
	c, err := e.Create(ctx, opts("sh", "-c", "echo two; echo err >&2; awk '{print $19, $41}' /proc/self/stat; exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{WaitAttach: true}); err != nil {
		t.Fatal(err)
	}
	if got := monitorPid(t, e, c.ID); got != spare {
		t.Errorf("the start's monitor is pid %d, want the spare %d", got, spare)
	}
	// Its command line names its config, as ps, pgrep and system check expect.
	want := filepath.Join(binDir, "berth-monitor") + "\x00" + filepath.Join(e.Root(), "containers", c.ID, "monitor.json") + "\x00"
	if cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(spare) + "/cmdline"); string(cmd) != want {
		t.Errorf("the spare's command line after its handover: %q, want %q", cmd, want)
	}
	var out, errb bytes.Buffer
	code, err := e.Attach(ctx, c.ID, engine.AttachOptions{}, engine.IO{Stdout: &out, Stderr: &errb})
	// Nice and scheduling policy: the spare ran at SCHED_IDLE; the
	// container runs under this process's policy (SCHED_OTHER, 0).
	if want := "two\n" + ownNice(t) + " 0\n"; err != nil || out.String() != want || errb.String() != "err\n" || code != 3 {
		t.Errorf("run on the spare: out %q, err %q, exit %d, %v", out.String(), errb.String(), code, err)
	}
	waitSpares(t, 1) // the next one
	e.KeepSpareMonitor(false)
	if got := spareMonitors(t); len(got) != 0 {
		t.Errorf("spares left after KeepSpareMonitor(false): %v", got)
	}
	e.KeepSpareMonitor(true)
	if out, _, code := runAttached(t, e, opts("true")); out != "" || code != 0 {
		t.Fatalf("third run: %q, exit %d", out, code)
	}
	waitSpares(t, 1) // left to the engine's Close
}

// A start that makes its own monitor ahead of its mounts leaves no spare:
// a plain engine starts containers as before, with nothing left over.
func TestStartLeavesNoSpare(t *testing.T) {
	e := newEngine(t)
	for i := 0; i < 2; i++ {
		if out, _, code := runAttached(t, e, opts("echo", "hi")); out != "hi\n" || code != 0 {
			t.Fatalf("run %d: %q, exit %d", i, out, code)
		}
		if got := spareMonitors(t); len(got) != 0 {
			t.Fatalf("spares after run %d: %v", i, got)
		}
	}
}

// procStatField is field n (numbered as in proc(5)) of /proc/PID/stat.
func procStatField(t *testing.T, pid, n int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))[n-3] // fields after the command start at 3
}

// ownNice is this process's nice value, as /proc/self/stat gives it.
func ownNice(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	return f[16] // field 19 of stat; fields after the command start at 3
}

// A build keeps a spare monitor ready for its next RUN step, started while
// the step before runs, and leaves none once it is done.
func TestBuildKeepsASpareBetweenSteps(t *testing.T) {
	e := newEngine(t)
	df := "FROM busybox\nRUN echo 1 > /f1\nRUN echo 2 > /f2\n"
	var between []int
	_, err := e.Build(context.Background(), engine.BuildOptions{Dockerfile: []byte(df), NoCache: true}, func(ev build.Event) {
		if ev.Kind == build.StepDone && ev.Step == 1 { // (not on the test's goroutine: no Fatal)
			for deadline := time.Now().Add(20 * time.Second); len(between) == 0 && time.Now().Before(deadline); {
				between = spareMonitors(t)
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(between) != 1 {
		t.Errorf("spares after the first step: %v", between)
	}
	if got := spareMonitors(t); len(got) != 0 {
		t.Errorf("spares left after the build: %v", got)
	}
}
