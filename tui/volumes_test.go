package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestVolumeActions drives the Volumes panel's actions on the fake volume
// store and checks what they did and what the command log says.
func TestVolumeActions(t *testing.T) {
	cases := []struct {
		name    string
		keys    []string
		act     string // what the fake store recorded
		command string // the command log's line
		screen  string // text the frame shows after
	}{
		{"create", []string{"4", "n", "l", "o", "g", "s", "tab", "t", "i", "e", "r", "=", "a", ",", "k", "=", "v", "enter"},
			"create logs", "berth volume create --label k=v --label tier=a logs", "created volume logs"},
		{"create-anonymous", []string{"4", "n", "enter"}, "create " + strings.Repeat("0", 60) + "0004", "berth volume create", "Volumes 5"},
		{"remove", []string{"4", "j", "j", "d", "y"}, "rm backups", "berth volume rm backups", "Volumes 3"},
		{"remove-declined", []string{"4", "j", "j", "d", "n"}, "", "", "Volumes 4"},
		{"prune", []string{"4", "P", "y"}, "prune 1", "berth volume prune -f", "pruned 1 volume(s), reclaimed 4.0KiB"},
		{"remove-busy", []string{"4", "j", "j", "j", "d", "y"}, "", "", "pgdata is in use by 2 container(s) — remove them first (demo-cpu, web)"},
		{"create-invalid", []string{"4", "n", ".", ".", "enter"}, "", "", "invalid characters"},
		{"create-cancelled", []string{"4", "n", "x", "esc"}, "", "", "Volumes 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _, _, fv := newTestModelAll(t, 120, 40)
			keys(m, c.keys...)
			fv.mu.Lock()
			acts := slices.Clone(fv.acts)
			fv.mu.Unlock()
			if c.act == "" && len(acts) > 0 || c.act != "" && !slices.Contains(acts, c.act) {
				t.Errorf("volume actions = %q, want %q", acts, c.act)
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

// TestVolumeRemoveRefused removes a volume that the UI thinks is free but
// the store finds in use: the store's conflict shows as the banner.
func TestVolumeRemoveRefused(t *testing.T) {
	m, _, _, fv := newTestModelAll(t, 120, 40)
	keys(m, "4", "j", "j") // backups
	fv.mu.Lock()
	fv.vols["backups"].UsedBy = []string{"cafe"}
	fv.mu.Unlock()
	keys(m, "d", "y")
	if got := ansi.Strip(m.Render()); !strings.Contains(got, "volume is in use") {
		t.Errorf("no in-use banner:\n%s", got)
	}
}

// TestVolumeSizesFillIn shows "…" for a size not known yet and the size once
// the background walk has finished and the panel re-listed on the clock.
func TestVolumeSizesFillIn(t *testing.T) {
	m, _, _, fv := newTestModelAll(t, 120, 40)
	keys(m, "4")
	row := func() string {
		for _, l := range strings.Split(ansi.Strip(m.Render()), "\n") {
			if strings.Contains(l, " backups ") {
				return l
			}
		}
		return ""
	}
	if r := row(); !strings.Contains(r, "…") {
		t.Fatalf("unknown size not shown as …: %q", r)
	}
	fv.setSize("backups", 3<<20)
	for i := 0; i < volumeRefreshEvery; i++ {
		settle(m, m.onTick())
	}
	if r := row(); !strings.Contains(r, "3.0MiB") {
		t.Errorf("size not refreshed: %q", r)
	}
}
