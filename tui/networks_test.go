package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestNetworkActions drives the Networks panel's actions on the fake
// network manager and checks what they did and what the command log says.
func TestNetworkActions(t *testing.T) {
	cases := []struct {
		name    string
		keys    []string
		act     string // what the fake manager recorded
		command string // the command log's line
		screen  string // text the frame shows after
	}{
		{"create", []string{"3", "n", "a", "p", "i", "tab", "1", "0", ".", "9", "9", ".", "0", ".", "0", "/", "2", "4", "tab", "tab", "y", "e", "s", "enter"},
			"create api", "berth network create --subnet 10.99.0.0/24 --internal api", "10.99.0.0/24"},
		{"remove", []string{"3", "j", "j", "j", "j", "d", "y"}, "rm isolated", "berth network rm isolated", "Networks 4"},
		{"prune", []string{"3", "P", "y"}, "prune [isolated]", "berth network prune -f", "pruned 1 network(s)"},
		{"remove-busy", []string{"3", "j", "j", "j", "d", "y"}, "", "", "remove or disconnect them first"},
		{"remove-predefined", []string{"3", "j", "j", "d", "y"}, "", "", "none is a pre-defined network and cannot be removed"},
		{"remove-default", []string{"3", "d", "y"}, "", "", "bridge is a pre-defined network and cannot be removed"},
		{"create-cancelled", []string{"3", "n", "x", "esc"}, "", "", "Networks 5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _, fn := newTestModelNets(t, 120, 40)
			keys(m, c.keys...)
			fn.mu.Lock()
			acts := slices.Clone(fn.acts)
			fn.mu.Unlock()
			if c.act == "" && len(acts) > 0 || c.act != "" && !slices.Contains(acts, c.act) {
				t.Errorf("network actions = %q, want %q", acts, c.act)
			}
			log := strings.Join(m.commands, "\n")
			if c.command != "" && !strings.Contains(log, c.command) {
				t.Errorf("command log %q lacks %q", log, c.command)
			}
			if c.command == "" && log != "" {
				t.Errorf("command log %q, want none", log)
			}
			if got := ansi.Strip(m.Render()); !strings.Contains(got, c.screen) {
				t.Errorf("frame does not show %q:\n%s", c.screen, got)
			}
		})
	}
}

// TestNetworkEventsRelist checks that a network event re-lists the networks:
// a network created behind the UI's back shows up.
func TestNetworkEventsRelist(t *testing.T) {
	m, _, fn := newTestModelNets(t, 120, 40)
	keys(m, "3")
	if _, err := fn.Create(m.ctx, netOpts("late")); err != nil {
		t.Fatal(err)
	}
	settle(m, m.onEvents(eventsMsg{evs: nil}))
	if got := ansi.Strip(m.Render()); !strings.Contains(got, "late") {
		t.Errorf("network list not refreshed:\n%s", got)
	}
}

// TestPortsColumn shows the PORTS column of a terminal wide enough for it.
func TestPortsColumn(t *testing.T) {
	m, _ := newTestModel(t, 160, 40)
	if got := ansi.Strip(m.Render()); !strings.Contains(got, "0.0.0.0:32768->8000/tcp") {
		t.Errorf("no ports column:\n%s", got)
	}
	checkGolden(t, m, "ports-column-160x40")
}
