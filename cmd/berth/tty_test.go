package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tmux drives a real terminal for the TTY tests: send keys, read the screen.
type tmux struct {
	t       *testing.T
	session string
}

func newTmux(t *testing.T, width, height int, command string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (make deps installs it)")
	}
	s := &tmux{t: t, session: "berth-test-" + strings.ReplaceAll(t.Name(), "/", "-")}
	exec.Command("tmux", "kill-session", "-t", s.session).Run()
	cmd := exec.Command("tmux", "new-session", "-d", "-s", s.session, "-x", itoa(width), "-y", itoa(height), command)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", s.session).Run() })
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func (s *tmux) send(keys ...string) {
	s.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", s.session}, keys...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("send-keys: %v %s", err, out)
	}
}

func (s *tmux) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", s.session).Output()
	return string(out)
}

// waitFor polls the screen until it contains want.
func (s *tmux) waitFor(want string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(s.screen(), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q:\n%s", want, s.screen())
}

// sendUntil types line (and Enter) until the screen shows want: for what
// reaches the shell asynchronously, such as a resize.
func (s *tmux) sendUntil(line, want string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		s.send(line, "Enter")
		for next := time.Now().Add(time.Second); time.Now().Before(next); time.Sleep(50 * time.Millisecond) {
			if strings.Contains(s.screen(), want) {
				return
			}
		}
	}
	s.t.Fatalf("screen never showed %q:\n%s", want, s.screen())
}

func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never written", path)
	return ""
}

func TestRunInteractiveTTY(t *testing.T) {
	c := newCLI(t)
	exitFile := filepath.Join(t.TempDir(), "exit")
	berth := filepath.Join(binDir, "berth") + " --root " + c.root
	s := newTmux(t, 100, 30, "sh -c '"+berth+" run -it --name tty busybox sh; echo $? > "+exitFile+"'")
	s.waitFor("/ #") // the shell's prompt: it flushes input typed before it
	s.send("tty; stty size", "Enter")
	s.waitFor("/dev/pts/0")
	s.waitFor("30 100")
	exec.Command("tmux", "resize-window", "-t", s.session, "-x", "120", "-y", "40").Run()
	s.sendUntil("stty size", "40 120")
	s.send("exit 7", "Enter")
	if got := waitFile(t, exitFile); got != "7" {
		t.Errorf("exit code through the TTY: %q", got)
	}
}

func TestExecInteractiveTTY(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "box", "busybox", "sleep", "1000")
	exitFile := filepath.Join(t.TempDir(), "exit")
	berth := filepath.Join(binDir, "berth") + " --root " + c.root
	s := newTmux(t, 90, 25, "sh -c '"+berth+" exec -it box sh; echo $? > "+exitFile+"'")
	s.waitFor("/ #")
	s.send("ps -o pid,comm; stty size", "Enter")
	s.waitFor("1 sleep")
	s.waitFor("25 90")
	exec.Command("tmux", "resize-window", "-t", s.session, "-x", "110", "-y", "35").Run()
	s.sendUntil("stty size", "35 110")
	s.send("exit 4", "Enter")
	if got := waitFile(t, exitFile); got != "4" {
		t.Errorf("exec exit code: %q", got)
	}
}
