package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The attach tests drive berth in a real terminal (tmux): the detach keys
// with and without a TTY, --detach-keys, --no-stdin and --sig-proxy.

// readLoop is a non-TTY container that echoes each line of its stdin with
// its length, so that a control byte passed on shows in the count.
const readLoop = `while read l; do echo "line:$l len:${#l}"; done`

func (c *cli) berth() string { return filepath.Join(binDir, "berth") + " --root " + c.root }

// running reports whether a container is up.
func (c *cli) running(name string) bool {
	c.t.Helper()
	out, _, _ := c.run("", "inspect", "-f", "{{.State.Running}}", name)
	return strings.TrimSpace(out) == "true"
}

// waitCount polls the screen until want shows n times.
func (s *tmux) waitCount(want string, n int) {
	s.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Count(s.screen(), want) >= n {
			return
		}
	}
	s.t.Fatalf("screen never showed %q %d times:\n%s", want, n, s.screen())
}

// attachPid finds the berth attach process of this root.
func (c *cli) attachPid() string {
	c.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, _ := exec.Command("pgrep", "-f", "^"+c.berth()+" attach").Output()
		if f := strings.Fields(string(out)); len(f) == 1 {
			return f[0]
		}
	}
	c.t.Fatal("no berth attach process")
	return ""
}

// syncAttach feeds the read loop's stdin from inside the container until the
// attached client shows the echo: from then on the client's terminal is set.
func (c *cli) syncAttach(s *tmux, name string) {
	c.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(s.screen(), "line:ping"); {
		if time.Now().After(deadline) {
			c.t.Fatalf("the attached client never showed the container's output:\n%s", s.screen())
		}
		c.ok("exec", name, "sh", "-c", "echo ping > /proc/1/fd/0")
		time.Sleep(200 * time.Millisecond) // the attach may not be in place yet: feed again
	}
}

func TestAttachDetachKeysWithoutTTY(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "-i", "--name", "nt", "busybox", "sh", "-c", readLoop)
	exitFile := filepath.Join(t.TempDir(), "exit")
	s := newTmux(t, 100, 30, "sh -c '"+c.berth()+" attach nt; echo $? > "+exitFile+"; sleep 600'")
	s.send("hello", "Enter")
	s.waitFor("line:hello len:5")
	s.send("C-p", "x", "Enter") // a sequence that breaks passes on
	s.waitFor("x len:2")
	s.send("C-p", "C-q")
	s.waitFor("read escape sequence")
	if got := waitFile(t, exitFile); got != "1" {
		t.Errorf("attach exit code after detaching: %q, want 1 as docker", got)
	}
	if !c.running("nt") {
		t.Error("the container stopped when the client detached")
	}
}

func TestAttachCustomDetachKeys(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "-i", "--name", "nt", "busybox", "sh", "-c", readLoop)
	exitFile := filepath.Join(t.TempDir(), "exit")
	s := newTmux(t, 100, 30, "sh -c '"+c.berth()+" attach --detach-keys ctrl-a,x nt; echo $? > "+exitFile+"; sleep 600'")
	c.syncAttach(s, "nt")
	s.send("C-p", "C-q", "Enter") // not the keys now: both bytes reach the container
	s.waitFor("len:2")
	s.send("C-a", "x")
	s.waitFor("read escape sequence")
	if got := waitFile(t, exitFile); got != "1" {
		t.Errorf("attach exit code after detaching: %q", got)
	}
	if !c.running("nt") {
		t.Error("the container stopped when the client detached")
	}
	for _, args := range [][]string{
		{"attach", "--detach-keys", "ctrl-pp", "nt"},
		{"run", "--detach-keys", "ctrl-pp", "--name", "never", "busybox", "true"},
		{"exec", "--detach-keys", "ctrl-pp", "nt", "true"},
	} {
		_, errOut, code := c.run("", args...)
		if code != 125 || !strings.Contains(errOut, `"ctrl-pp"`) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("berth %s: exit %d, %q; want 125 and one line naming the key", args[0], code, errOut)
		}
	}
	if out := c.ok("ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "never") {
		t.Error("run with bad --detach-keys created a container")
	}
}

func TestAttachTTYDetach(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-dit", "--name", "tty", "busybox", "sh")
	exitFile := filepath.Join(t.TempDir(), "exit")
	s := newTmux(t, 100, 30, "sh -c '"+c.berth()+" attach tty; echo $? > "+exitFile+"; sleep 600'")
	s.send("echo hi$((40+2))", "Enter")
	s.waitFor("hi42")
	s.send("C-p", "C-q")
	s.waitFor("read escape sequence")
	if got := waitFile(t, exitFile); got != "1" {
		t.Errorf("attach exit code after detaching: %q", got)
	}
	if !c.running("tty") {
		t.Error("the container stopped when the client detached")
	}
}

func TestRunInteractiveDetach(t *testing.T) {
	c := newCLI(t)
	exitFile := filepath.Join(t.TempDir(), "exit")
	s := newTmux(t, 100, 30, "sh -c '"+c.berth()+" run -it --name rr busybox sh; echo $? > "+exitFile+"; sleep 600'")
	s.waitFor("/ #")
	s.send("C-p", "C-q")
	if got := waitFile(t, exitFile); got != "0" {
		t.Errorf("run -it exit code after detaching: %q, want 0 as docker", got)
	}
	if strings.Contains(s.screen(), "read escape sequence") {
		t.Error("run printed the detach message (docker's run says nothing)")
	}
	if !c.running("rr") {
		t.Error("the container stopped when run detached")
	}
}

func TestAttachNoStdin(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "-i", "--name", "ns", "busybox", "sh", "-c", readLoop)
	dir := t.TempDir()
	exitFile, typed := filepath.Join(dir, "exit"), filepath.Join(dir, "typed")
	s := newTmux(t, 100, 30, "sh -c '"+c.berth()+" attach --no-stdin --sig-proxy=false ns; echo $? > "+exitFile+"; head -1 > "+typed+"; sleep 600'")
	pid := c.attachPid()
	c.syncAttach(s, "ns") // output still comes
	s.send("secret", "Enter")
	s.waitFor("secret")
	exec.Command("kill", "-INT", pid).Run()
	if got := waitFile(t, exitFile); got != "130" {
		t.Errorf("attach exit code after SIGINT without --sig-proxy: %q, want 130", got)
	}
	if got := waitFile(t, typed); got != "secret" {
		t.Errorf("the typed line was read by berth --no-stdin: the terminal still had %q", got)
	}
	if logs := c.ok("logs", "ns"); strings.Contains(logs, "secret") {
		t.Errorf("--no-stdin sent input to the container: %q", logs)
	}
	if !c.running("ns") {
		t.Error("the container stopped when the client detached")
	}
}

func TestAttachSigProxy(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "sp", "busybox", "sh", "-c",
		`trap "echo got-INT" INT; trap "echo got-TERM" TERM; while :; do if [ -f /go ]; then rm /go; echo tick; fi; sleep 0.1; done`)
	s := newTmux(t, 100, 30, "sh -c 'exec "+c.berth()+" attach sp'")
	pid := c.attachPid()
	c.ok("exec", "sp", "touch", "/go")
	s.waitFor("tick") // attached, its signal handlers in place
	exec.Command("kill", "-TERM", pid).Run()
	s.waitFor("got-TERM")
	exec.Command("kill", "-INT", pid).Run()
	s.waitFor("got-INT")
	s.send("C-c")
	s.waitCount("got-INT", 2)
	if !c.running("sp") {
		t.Error("the container stopped")
	}
}
