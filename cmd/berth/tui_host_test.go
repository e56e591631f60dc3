package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTUIOverHost runs the TUI through `berth serve` (--host) in a real
// terminal: it lists the served root's containers, follows a change another
// berth process makes on that root, and shows the tabs that need berth's
// own calls (Top's columns, the X-ray) rather than a "not available".
func TestTUIOverHost(t *testing.T) {
	s := newServed(t)
	s.ok("run", "-d", "--name", "host-ticker", "busybox", "sh", "-c", "while :; do echo tick; sleep 0.2; done")
	berth := filepath.Join(binDir, "berth") + " --host unix://" + s.sock
	m := newTmux(t, 150, 50, berth)
	m.waitFor("host-ticker")
	m.waitFor("Logs host-ticker")
	m.waitFor("tick")
	m.waitFor("mem ") // the header's host figures, from GET /berth/host

	s.ok("run", "-d", "--name", "host-later", "busybox", "sleep", "1000") // another process, same root
	m.waitFor("host-later")
	m.waitFor("create host-later") // the server's event stream

	m.send("G") // the oldest: host-ticker
	m.waitFor("Logs host-ticker")
	for _, tab := range []string{"Stats", "Inspect", "Env", "Ports", "Top"} {
		m.send("]")
		m.waitFor(tab + " host-ticker")
	}
	m.waitFor("NSPID")
	m.send("]")
	m.waitFor("X-ray host-ticker")
	m.waitFor("Namespaces")
	m.waitFor("Overlay filesystem")
	if scr := m.screen(); strings.Contains(scr, "not available") {
		t.Fatalf("a tab over --host says not available:\n%s", scr)
	}
	m.send("q")
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(m.screen(), "Containers") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}
