package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTUIUnderTmux runs bin/berth with no verb in a real terminal (tmux
// 120×40): the list shows the containers, keys move, switch tabs and panels,
// the help and command line work, S stops the selected container, and q
// quits leaving the other containers running.
func TestTUIUnderTmux(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "tmux-logger", "busybox", "sh", "-c", "while :; do echo beat; sleep 0.2; done")
	c.ok("run", "-d", "--name", "tmux-sleeper", "--stop-timeout", "1", "busybox", "sleep", "1000")
	c.run("", "run", "--name", "tmux-failed", "busybox", "sh", "-c", "exit 3")
	berth := filepath.Join(binDir, "berth") + " --root " + c.root
	s := newTmux(t, 120, 40, berth)
	s.waitFor("tmux-logger")
	s.waitFor("exited 3")
	s.waitFor("Exited (3)")

	s.send("G") // oldest: tmux-logger
	s.waitFor("Logs tmux-logger")
	s.waitFor("beat")
	s.send("]")
	s.waitFor("Stats tmux-logger")
	s.waitFor("OOM kills 0") // samples streamed by the engine
	s.send("]", "]")
	s.waitFor("PATH=/usr/local/sbin")

	s.send("k") // tmux-sleeper
	s.waitFor("Env tmux-sleeper")
	s.send("S")
	s.waitFor("exited 137")
	s.waitFor("die tmux-sleeper (137)")

	s.send("2")
	s.waitFor("busybox:latest")
	s.send("?")
	s.waitFor("quit (containers keep running)")
	s.send("Escape")
	time.Sleep(200 * time.Millisecond)
	s.send("1")
	s.send(":", "ps", "Enter")
	s.waitFor("$ berth ps")
	s.waitFor("CONTAINER ID") // run in the UI's process, through its engine
	s.send("Escape")
	time.Sleep(200 * time.Millisecond)
	s.send(":", "run -d --name tmux-colon busybox true", "Enter")
	s.waitFor("$ berth run -d --name tmux-colon")
	s.send("Escape")
	s.waitFor("create tmux-colon")     // seen through the events
	time.Sleep(200 * time.Millisecond) // else ":" joins Escape as alt+:
	s.send(":", "rm tmux-colon", "Enter")
	s.waitFor("$ berth rm tmux-colon")
	s.send("Escape")
	time.Sleep(200 * time.Millisecond)
	s.send("L")
	s.waitFor("berth stop tmux-sleeper")
	s.send("Escape")
	time.Sleep(200 * time.Millisecond)
	s.send("q")
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(s.screen(), "Containers") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	out, _, _ := c.run("", "ps", "--format", "{{.Names}}")
	if strings.TrimSpace(out) != "tmux-logger" {
		t.Errorf("after quitting the UI, running: %q", out)
	}
}
