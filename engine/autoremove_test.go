package engine_test

import (
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
)

// rmSpy is an engine whose monitors remove --rm containers through a spy:
// a script that logs each `berth rm` it is run as, then runs the real berth.
type rmSpy struct {
	e   *engine.Engine
	log string
}

func newRmSpy(t *testing.T) *rmSpy {
	t.Helper()
	real := filepath.Join(binDir, "berth")
	if _, err := os.Stat(real); err != nil {
		t.Skip("needs the berth binary beside the monitor (BERTH_BIN=$PWD/bin)")
	}
	dir := t.TempDir()
	s := &rmSpy{log: filepath.Join(dir, "rm.log")}
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >>%s\nexec %s \"$@\"\n", s.log, real)
	spy := filepath.Join(dir, "berth")
	if err := os.WriteFile(spy, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Options{Root: t.TempDir(), BerthPath: spy,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { teardown(t, e) })
	if _, err := e.Images().Bootstrap(context.Background(), "busybox", func(string) {}); err != nil {
		t.Fatal(err)
	}
	s.e = e
	return s
}

// removals is how many times a monitor ran `berth rm`.
func (s *rmSpy) removals() int {
	b, _ := os.ReadFile(s.log)
	return strings.Count(string(b), "\n")
}

// create makes an --rm container running cmd.
func (s *rmSpy) create(t *testing.T, cmd ...string) *engine.Container {
	t.Helper()
	c, err := s.e.Create(context.Background(), engine.CreateOptions{
		Config:     engine.Config{Image: "busybox", Cmd: cmd},
		HostConfig: engine.HostConfig{AutoRemove: true, NetworkMode: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type waitResult struct {
	code int
	err  error
}

// waitRemoved waits for the removal in the background and returns once the
// wait holds the container's removal claim (a shared flock, seen in /proc/locks).
func (s *rmSpy) waitRemoved(t *testing.T, c *engine.Container) <-chan waitResult {
	t.Helper()
	res := make(chan waitResult, 1)
	go func() {
		code, err := s.e.WaitFor(context.Background(), c.ID, engine.WaitRemoved)
		res <- waitResult{code, err}
	}()
	s.awaitClaim(t, c)
	return res
}

// awaitClaim returns once a waiter holds the container's removal claim.
func (s *rmSpy) awaitClaim(t *testing.T, c *engine.Container) {
	t.Helper()
	claim := filepath.Join(s.e.Root(), "containers", c.ID, "autoremove")
	for deadline := time.Now().Add(time.Minute); !sharedLockOn(claim); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the wait never took the removal claim %s", claim)
		}
	}
}

// sharedLockOn reports whether /proc/locks lists a shared flock on path.
func sharedLockOn(path string) bool {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return false
	}
	b, _ := os.ReadFile("/proc/locks")
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 6 && f[1] == "FLOCK" && f[3] == "READ" && strings.HasSuffix(f[5], fmt.Sprintf(":%d", st.Ino)) {
			return true
		}
	}
	return false
}

// TestWaitRemovedRemovesInProcess checks that waiting for the removal of an
// --rm container removes it in the waiting process: when the container is
// killed, every waiter answers with its exit code, it is removed exactly once
// and its monitor runs no `berth rm` (which would open the engine again, after
// the fact, on a root that may be gone).
func TestWaitRemovedRemovesInProcess(t *testing.T) {
	s := newRmSpy(t)
	ctx := context.Background()
	c := s.create(t, "sleep", "1000")
	first := s.waitRemoved(t, c)
	second := s.waitRemoved(t, c)
	if err := s.e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.e.Kill(ctx, c.ID, "KILL"); err != nil {
		t.Fatal(err)
	}
	for i, ch := range []<-chan waitResult{first, second} {
		if r := <-ch; r.err != nil || r.code != 137 {
			t.Errorf("waiter %d: code %d, err %v; want 137", i+1, r.code, r.err)
		}
	}
	if _, err := s.e.Inspect(ctx, c.ID); !errdefs.IsNotFound(err) {
		t.Errorf("inspect after the wait: %v; want not found", err)
	}
	assertGone(t, c.ID) // the monitor is gone too: it can spawn nothing more
	if n := s.removals(); n != 0 {
		t.Errorf("the monitor ran berth rm %d times although a waiter removed the container", n)
	}
	if _, err := os.Stat(filepath.Join(s.e.Root(), "containers", c.ID)); !os.IsNotExist(err) {
		t.Errorf("container directory: %v; want it gone", err)
	}
}

// TestWaitRemovedExitCode checks the exit code of a container that ends by
// itself, waited for before its start as docker run does.
func TestWaitRemovedExitCode(t *testing.T) {
	s := newRmSpy(t)
	c := s.create(t, "sh", "-c", "exit 3")
	res := s.waitRemoved(t, c)
	if err := s.e.Start(context.Background(), c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := <-res; r.err != nil || r.code != 3 {
		t.Errorf("wait: code %d, err %v; want 3", r.code, r.err)
	}
	assertGone(t, c.ID)
	if n := s.removals(); n != 0 {
		t.Errorf("the monitor ran berth rm %d times", n)
	}
}

// TestDetachedRmRemovedByMonitor checks that an --rm container nobody waits
// for is still removed when it ends, by its monitor's `berth rm`.
func TestDetachedRmRemovedByMonitor(t *testing.T) {
	s := newRmSpy(t)
	ctx := context.Background()
	c := s.create(t, "true")
	if err := s.e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if _, err := s.e.Inspect(ctx, c.ID); errdefs.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a detached --rm container was not removed after it ended")
		}
	}
	if n := s.removals(); n != 1 {
		t.Errorf("the monitor ran berth rm %d times; want once", n)
	}
	assertGone(t, c.ID)
}

// TestWaitGivenUpLeavesRemovalToMonitor checks that a waiter that gives up
// (its client went away) lets the monitor remove the container.
func TestWaitGivenUpLeavesRemovalToMonitor(t *testing.T) {
	s := newRmSpy(t)
	ctx := context.Background()
	c := s.create(t, "sleep", "1000")
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := s.e.WaitFor(wctx, c.ID, engine.WaitRemoved)
		done <- err
	}()
	s.awaitClaim(t, c)
	if err := s.e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("a cancelled wait returned no error")
	}
	if err := s.e.Kill(ctx, c.ID, "KILL"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if _, err := s.e.Inspect(ctx, c.ID); errdefs.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the container was not removed after its waiter gave up")
		}
	}
	if n := s.removals(); n != 1 {
		t.Errorf("the monitor ran berth rm %d times; want once", n)
	}
}
