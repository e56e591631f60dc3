package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunRmRemoverKilled kills berth run --rm where it has taken the removal
// over from the container's monitor (record marked; removal owned and the
// claim let go): the container must still go — by the monitor's own removal
// or by the next berth process — and leave nothing for system check.
func TestRunRmRemoverKilled(t *testing.T) {
	for _, point := range []string{"autorm.marked", "autorm.owned"} {
		t.Run(point, func(t *testing.T) {
			c := newCLI(t)
			cmd := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "run", "--rm", "-v", "/data", "busybox", "true")
			cmd.Env = append(os.Environ(), "BERTH_FAULT="+point)
			out, err := cmd.CombinedOutput()
			if !killed(err) {
				t.Fatalf("berth run --rm was not killed at %s: %v: %s", point, err, out)
			}
			for deadline := time.Now().Add(time.Minute); c.ok("ps", "-aq") != ""; time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the container is still there after its remover was killed at %s: %s", point, c.ok("ps", "-a"))
				}
			}
			waitNoRemover(t, c.root)
			c.wantClean()
			if vols := c.ok("volume", "ls", "-q"); vols != "" {
				t.Errorf("anonymous volume left: %s", vols)
			}
		})
	}
}

// TestServeRmRemoverKilled kills berth serve where it has taken over the
// removal of a docker run --rm container: someone — the monitor or the next
// berth process — must still remove it.
func TestServeRmRemoverKilled(t *testing.T) {
	requireDockerCLI(t)
	for _, point := range []string{"autorm.marked", "autorm.owned", "rm.files-deleted"} {
		t.Run(point, func(t *testing.T) {
			c := newCLI(t)
			sock := filepath.Join(c.root, "api.sock")
			srv := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "serve", "-H", "unix://"+sock)
			srv.Env = append(os.Environ(), "BERTH_FAULT="+point)
			var logs bytes.Buffer
			srv.Stdout, srv.Stderr = &logs, &logs
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- srv.Wait() }()
			s := &served{cli: c, sock: sock, env: append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+t.TempDir())}
			for deadline := time.Now().Add(time.Minute); dockerFails(s); time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("berth serve did not answer: %s", logs.String())
				}
			}
			s.docker("", "run", "--rm", "-v", "/data", "busybox", "true") // fails: serve dies under it
			if err := <-done; !killed(err) {
				t.Fatalf("berth serve was not killed at %s: %v: %s", point, err, logs.String())
			}
			for deadline := time.Now().Add(time.Minute); c.ok("ps", "-aq") != ""; time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the container is still there after serve was killed at %s: %s", point, c.ok("ps", "-a"))
				}
			}
			waitNoRemover(t, c.root)
			c.wantClean()
			if vols := c.ok("volume", "ls", "-q"); vols != "" {
				t.Errorf("anonymous volume left: %s", vols)
			}
		})
	}
}

// TestRunRmNoRemoverProcess checks that berth run --rm removes its container
// itself: once it returns, no monitor and no `berth rm` runs for the root.
func TestRunRmNoRemoverProcess(t *testing.T) {
	c := newCLI(t)
	for i := 0; i < 3; i++ {
		if out := c.ok("run", "--rm", "busybox", "echo", "hi"); out != "hi\n" {
			t.Fatalf("run --rm printed %q", out)
		}
		if pids := removers(c.root); pids != "" {
			t.Fatalf("berth rm still runs after berth run --rm returned: %s", pids)
		}
	}
	if ps := c.ok("ps", "-aq"); ps != "" {
		t.Errorf("run --rm left %q", ps)
	}
}

// TestRunRmRefusesRestart checks that --rm and a restart policy are refused
// together, attached or detached, with nothing left behind.
func TestRunRmRefusesRestart(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"run", "--rm", "--restart", "always", "busybox", "true"},
		{"run", "-d", "--rm", "--restart", "on-failure:3", "busybox", "true"},
	} {
		_, errOut, code := c.run("", args...)
		if code != 125 || !strings.Contains(errOut, "conflicting options: --restart and --rm") {
			t.Errorf("berth %s: exit %d, %q; want 125 and the conflict", strings.Join(args, " "), code, errOut)
		}
	}
	if ps := c.ok("ps", "-aq"); ps != "" {
		t.Errorf("a refused run left %q", ps)
	}
}

// TestRunDetachedRmRemoved checks that berth run -d --rm leaves the removal
// to the container's monitor: the container goes once it ends.
func TestRunDetachedRmRemoved(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("run", "-d", "--rm", "busybox", "true"))
	for deadline := time.Now().Add(time.Minute); c.ok("ps", "-aq") != ""; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("run -d --rm: %s is still there after it ended", id)
		}
	}
	waitNoRemover(t, c.root)
	c.wantClean()
}

// removers lists the `berth rm` processes (and monitors) working on root.
func removers(root string) string {
	out, _ := exec.Command("pgrep", "-af", "--root "+root+" rm |berth-monitor "+root).Output()
	return string(bytes.TrimSpace(out))
}

// waitRmDone waits (at most a minute) until the --rm containers of root have
// ended and no `berth rm` that their monitors ran is at work: a killed
// run --rm leaves the removal to the container's monitor.
func waitRmDone(root string) {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !rmAtWork(root) {
			return
		}
	}
}

// rmAtWork reports whether a monitor of an --rm container, or a `berth rm`
// it ran, still runs for root.
func rmAtWork(root string) bool {
	if out, _ := exec.Command("pgrep", "-f", "--root "+root+" rm ").Output(); len(bytes.TrimSpace(out)) > 0 {
		return true
	}
	cfgs, _ := filepath.Glob(filepath.Join(root, "containers", "*", "monitor.json"))
	for _, cfg := range cfgs {
		if b, err := os.ReadFile(cfg); err != nil || !bytes.Contains(b, []byte(`"RemoveClaim"`)) {
			continue
		}
		if out, _ := exec.Command("pgrep", "-f", "berth-monitor "+cfg).Output(); len(bytes.TrimSpace(out)) > 0 {
			return true
		}
	}
	return false
}

// waitNoRemover waits until no `berth rm` or monitor runs for root.
func waitNoRemover(t *testing.T, root string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		p := removers(root)
		if p == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still running for %s: %s", root, strings.TrimSpace(p))
		}
	}
}

// dockerFails reports whether docker version fails against s (not up yet).
func dockerFails(s *served) bool {
	_, _, code := s.docker("", "version")
	return code != 0
}
