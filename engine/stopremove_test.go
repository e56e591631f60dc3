package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/events"
	"berth/engine/monitor"
)

// startFlapping starts a container that exits 1 at once under --restart
// always, and returns once it sits between two runs (restarting, with a
// backoff long enough that the next run is not imminent).
func startFlapping(t *testing.T, e *engine.Engine, name string) *engine.Container {
	t.Helper()
	o := opts("sh", "-c", "exit 1")
	o.HostConfig.RestartPolicy.Name = "always"
	c := startDetached(t, e, name, o)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		got, err := e.Inspect(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State.Restarting && got.RestartCount >= 3 {
			return got
		}
		if ctx.Err() != nil {
			t.Fatalf("%s never settled into restarting: %+v", name, got.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// monitorGone reports whether the container's monitor has exited (this
// process, its parent, may not have reaped it yet).
func monitorGone(t *testing.T, e *engine.Engine, id string) bool {
	t.Helper()
	st, err := monitor.ReadState(filepath.Join(e.Root(), "containers", id, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	return monitorExited(st)
}

// monitorExited reports whether the monitor that wrote st has exited; a
// zombie (this process is the parent of the monitors it started, and may not
// have reaped it yet) has.
func monitorExited(st *monitor.State) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", st.MonitorPid))
	return !st.Alive() || err != nil || strings.Contains(string(stat), ") Z ")
}

// actions lists the events recorded for container id.
func actions(t *testing.T, e *engine.Engine, id string) []string {
	t.Helper()
	evs, err := e.ReadEvents(context.Background(), events.Filter{Containers: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Action)
	}
	return out
}

func TestStopKillRestartRemoveOfARestartingContainer(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	one := time.Second

	c := startFlapping(t, e, "stopme")
	if err := e.Stop(ctx, "stopme", engine.StopOptions{Timeout: &one}); err != nil {
		t.Fatalf("stop of a restarting container: %v", err)
	}
	got := mustState(t, e, "stopme", "exited")
	if !monitorGone(t, e, c.ID) || got.State.ExitCode != 1 {
		t.Errorf("after stop: monitor gone %v, state %+v", monitorGone(t, e, c.ID), got.State)
	}
	if evs := actions(t, e, c.ID); evs[len(evs)-1] != "stop" {
		t.Errorf("events after stop: %v, want a stop last", evs)
	}

	c = startFlapping(t, e, "killme")
	if err := e.Kill(ctx, "killme", "USR1"); !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "is restarting") {
		t.Errorf("kill -s USR1 of a restarting container: %v, want a conflict saying it restarts", err)
	}
	if err := e.Kill(ctx, "killme", ""); err != nil {
		t.Fatalf("kill of a restarting container: %v", err)
	}
	if _, err := e.Wait(ctx, "killme"); err != nil {
		t.Fatal(err)
	}
	mustState(t, e, "killme", "exited")
	if evs := actions(t, e, c.ID); evs[len(evs)-1] != "kill" {
		t.Errorf("events after kill: %v, want a kill last", evs)
	}

	startFlapping(t, e, "restartme")
	if err := e.Restart(ctx, "restartme", engine.StopOptions{Timeout: &one}); err != nil {
		t.Fatalf("restart of a restarting container: %v", err)
	}

	c = startFlapping(t, e, "rmme")
	if err := e.Remove(ctx, "rmme", engine.RemoveOptions{Force: true}); err != nil {
		t.Fatalf("rm -f of a restarting container: %v", err)
	}
	if _, err := e.Inspect(ctx, "rmme"); !errdefs.IsNotFound(err) {
		t.Errorf("rm -f left the container: %v", err)
	}
	assertGone(t, c.ID)
}

func TestRemoveWithItsDirectoryGone(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, opts("true"))
	if err != nil {
		t.Fatal(err)
	}
	// What a removal killed after deleting the files leaves behind.
	if err := os.RemoveAll(filepath.Join(e.Root(), "containers", c.ID)); err != nil {
		t.Fatal(err)
	}
	if err := e.Remove(ctx, c.ID, engine.RemoveOptions{}); err != nil {
		t.Fatalf("rm of a container whose directory is gone: %v", err)
	}
	if _, err := e.Inspect(ctx, c.ID); !errdefs.IsNotFound(err) {
		t.Errorf("row left: %v", err)
	}
	assertContainerDirs(t, e, 0)
}

// A forced removal while the container is being started (here: held until an
// attach that never comes) stops it first and leaves nothing, rather than
// deleting files under a live monitor.
func TestRemoveForceOfAStartingContainer(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	c, err := e.Create(ctx, opts("sh", "-c", "echo hi; sleep 100"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{WaitAttach: true}); err != nil {
		t.Fatal(err)
	}
	st, err := monitor.ReadState(filepath.Join(e.Root(), "containers", c.ID, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true}); err != nil {
		t.Fatalf("rm -f of a starting container: %v", err)
	}
	if !monitorExited(st) {
		t.Errorf("monitor %d still runs after rm -f", st.MonitorPid)
	}
	assertContainerDirs(t, e, 0)
	assertGone(t, c.ID)
}

// Start must not deadlock on a container whose monitor died when nothing
// read the container in between (recovery takes the lock Start holds).
func TestStartAfterMonitorDiedWithoutARead(t *testing.T) {
	e := newEngine(t)
	c := startDetached(t, e, "orphan", opts("sleep", "1000"))
	st, err := monitor.ReadState(filepath.Join(e.Root(), "containers", c.ID, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(st.MonitorPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for st.Alive() {
		time.Sleep(10 * time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- e.Start(context.Background(), "orphan", engine.StartOptions{}) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("start of a container whose monitor died hangs")
	}
	mustState(t, e, "orphan", "running")
	if evs := actions(t, e, c.ID); !strings.Contains(strings.Join(evs, " "), "start die start") {
		t.Errorf("events: %v, want the recovery's die between the starts", evs)
	}
}

// Remove holds the container's lock, so a start blocked on it fails cleanly
// instead of starting a container whose files are going away.
func TestStartOfARemovedContainerFails(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, opts("true"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Remove(ctx, c.ID, engine.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); !errdefs.IsNotFound(err) {
		t.Errorf("start after rm: %v", err)
	}
	if err := e.Stop(ctx, c.ID, engine.StopOptions{}); !errdefs.IsNotFound(err) {
		t.Errorf("stop after rm: %v", err)
	}
}

func TestCommandOnAMount(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prog"), []byte("#!/bin/sh\necho from the mount \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	withBind := func(cmd ...string) engine.CreateOptions {
		o := opts(cmd...)
		o.HostConfig.Mounts = []engine.MountSpec{{Type: "bind", Source: dir, Target: "/p", FromShort: true}}
		return o
	}
	out, errOut, code := runAttached(t, e, withBind("/p/prog", "abs"))
	if out != "from the mount abs\n" || code != 0 {
		t.Errorf("absolute command on a bind mount: %q %q exit %d", out, errOut, code)
	}
	o := withBind("prog", "path")
	o.Config.Env = []string{"PATH=/p:/bin"}
	if out, errOut, code = runAttached(t, e, o); out != "from the mount path\n" || code != 0 {
		t.Errorf("command found through PATH on a bind mount: %q %q exit %d", out, errOut, code)
	}
	// A missing or non-executable command on the mount still fails the start
	// with docker's classes (exit 127 and 126), and the message names it once.
	for _, tc := range []struct {
		cmd  string
		want error
	}{{"/p/missing", engine.ErrCommandNotFound}, {"/p/data", engine.ErrCommandNotExecutable}} {
		c, err := e.Create(context.Background(), withBind(tc.cmd))
		if err != nil {
			t.Fatal(err)
		}
		err = e.Start(context.Background(), c.ID, engine.StartOptions{})
		if !errors.Is(err, tc.want) || strings.Count(err.Error(), tc.cmd) != 1 {
			t.Errorf("start %s: %v, want %v", tc.cmd, err, tc.want)
		}
		if got := mustState(t, e, c.ID, "created"); got.State.ExitCode == 0 || got.State.Error == "" {
			t.Errorf("%s: state after a failed start: %+v", tc.cmd, got.State)
		}
	}
}
