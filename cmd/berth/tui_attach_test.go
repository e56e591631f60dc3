package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTUIAttachReturnsToUI: from the TUI (tmux 120×40), `a` attaches in
// this process, without a berth subprocess; ctrl+p ctrl+q, ctrl+c (no TTY:
// never proxied from the UI) and the container's exit all bring the UI back,
// and the UI still answers keys; `e` opens a shell that returns on exit.
func TestTUIAttachReturnsToUI(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "-i", "--name", "tui-nt", "busybox", "sh", "-c", readLoop)
	c.ok("run", "-dit", "--name", "tui-tty", "busybox", "sh")
	s := newTmux(t, 120, 40, "sh -c 'exec "+c.berth()+"'")
	pane, err := exec.Command("tmux", "display", "-p", "-t", s.session, "#{pane_pid}").Output()
	if err != nil {
		t.Fatal(err)
	}
	tuiPid := strings.TrimSpace(string(pane))
	s.waitFor("tui-nt")
	backInUI := func() {
		t.Helper()
		s.waitFor("2 Images")
		if kids, _ := exec.Command("pgrep", "-P", tuiPid).Output(); len(strings.TrimSpace(string(kids))) > 0 {
			t.Errorf("the UI left child processes: %s", kids)
		}
	}

	s.send("G") // the oldest: tui-nt, no TTY
	s.waitFor("Logs tui-nt")
	s.send("a")
	s.waitFor("attached to tui-nt")
	s.send("hello", "Enter")
	s.waitFor("line:hello len:5")
	s.send("C-p", "C-q")
	backInUI()
	s.send("a")
	s.waitCount("attached to tui-nt", 2) // the terminal's main screen keeps the first
	c.syncAttach(s, "tui-nt")
	s.send("C-c")
	backInUI()
	if !c.running("tui-nt") {
		t.Error("ctrl+c from the UI's attach stopped the container")
	}

	s.send("g") // the newest: tui-tty
	s.waitFor("Logs tui-tty")
	s.send("a")
	s.waitFor("attached to tui-tty")
	s.send("echo hi$((40+2))", "Enter")
	s.waitFor("hi42")
	s.send("C-p", "C-q")
	backInUI()
	s.send("a")
	s.waitCount("attached to tui-tty", 2)
	s.send("echo bye$((40+2)); exit", "Enter") // the container ends: back too
	backInUI()
	s.waitFor("exited 0")

	s.send("G", "e")
	s.waitFor("shell in tui-nt")
	s.send("echo in$((40+2))", "Enter")
	s.waitFor("in42")
	s.send("exit", "Enter")
	backInUI()
	s.send("?") // the UI still reads its keys
	s.waitFor("quit (containers keep running)")
}
