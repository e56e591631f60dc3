package tui

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"berth/views"
)

// TestActionsOnFakeEngine drives each action key and checks what the engine
// was asked to do, the command log, and where the selection lands.
func TestActionsOnFakeEngine(t *testing.T) {
	cases := []struct {
		name    string
		keys    []string
		acts    []string
		command string
	}{
		{"stop", []string{"S"}, []string{"stop demo-logger"}, "berth stop demo-logger"},
		{"start", []string{"j", "j", "s"}, []string{"start demo-failed"}, "berth start demo-failed"},
		{"restart marked", []string{"space", "space", "r"}, []string{"restart demo-logger", "restart demo-cpu"}, "berth restart demo-logger demo-cpu"},
		{"unpause", []string{"G", "k", "k", "p"}, []string{"unpause web"}, "berth unpause web"},
		{"pause", []string{"p"}, []string{"pause demo-logger"}, "berth pause demo-logger"},
		{"kill", []string{"K", "j", "j", "j", "j", "j", "enter"}, []string{"kill SIGUSR1 demo-logger"}, "berth kill -s SIGUSR1 demo-logger"},
		{"kill cancelled", []string{"K", "esc"}, nil, ""},
		{"rename", []string{"R", "!", "enter", "backspace", "2", "enter"}, []string{"rename demo-logger"}, "berth rename demo-logger demo-logger2"},
		{"remove declined", []string{"d", "n"}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, f := newTestModel(t, 100, 30)
			keys(m, c.keys...)
			// A batch works on its containers in parallel, in any order.
			if !slices.Equal(sorted(f.acts), sorted(c.acts)) {
				t.Errorf("engine was asked %q, want %q", f.acts, c.acts)
			}
			log := strings.Join(m.commands, "\n")
			if c.command != "" && !strings.Contains(log, c.command) {
				t.Errorf("command log %q lacks %q", log, c.command)
			}
			if c.command == "" && len(m.commands) > 0 {
				t.Errorf("cancelled action logged %q", m.commands)
			}
			if m.banner != "" {
				t.Errorf("banner: %s", m.banner)
			}
		})
	}
}

func TestRenameFlagsBadNameInPlace(t *testing.T) {
	m, f := newTestModel(t, 100, 30)
	keys(m, "R", "!", "enter")
	if frame := ansi.Strip(m.Render()); !strings.Contains(frame, "invalid container name") {
		t.Errorf("no reason shown for a bad name:\n%s", frame)
	}
	if len(f.acts) != 0 || m.dialog == nil {
		t.Errorf("bad name was submitted: %q", f.acts)
	}
}

// TestRemoveSelectedMovesSelection removes the selected and a marked
// container; the cursor lands on a remaining one and nothing panics.
func TestRemoveSelectedMovesSelection(t *testing.T) {
	m, f := newTestModel(t, 100, 30)
	keys(m, "j", "space", "space", "k", "d", "y")
	if !slices.Equal(sorted(f.acts), []string{"rm demo-cpu", "rm demo-failed"}) {
		t.Fatalf("removed %q", f.acts)
	}
	sel, ok := m.ctrs.Selected()
	if !ok || sel.Name == "demo-cpu" || sel.Name == "demo-failed" {
		t.Errorf("selection is %q after removal", sel.Name)
	}
	if m.ctrs.Len() != 4 {
		t.Errorf("%d rows left, want 4", m.ctrs.Len())
	}
	keys(m, "P", "y")
	if _, total := m.ctrs.Counts(); total != 2 {
		t.Errorf("%d containers after prune, want the 2 running ones", total)
	}
}

var sgrRE = regexp.MustCompile(`\x1b\[([0-9;]*)m`)

func TestNoColor(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	m.th = views.NewTheme(true)
	keys(m, "j", "]")
	frame := m.Render()
	for _, sgr := range sgrRE.FindAllStringSubmatch(frame, -1) {
		for _, p := range strings.Split(sgr[1], ";") {
			n, _ := strconv.Atoi(p)
			if (n >= 30 && n <= 49) || (n >= 90 && n <= 107) {
				t.Fatalf("NO_COLOR frame holds colour code %q", sgr[0])
			}
		}
	}
	if !strings.Contains(frame, "\x1b[7m") && !strings.Contains(frame, ";7m") {
		t.Error("NO_COLOR frame lost the reverse-video cursor")
	}
}

func TestRemoveImages(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	imgs := m.opts.Images.(*fakeImages)
	keys(m, "2", "j", "d", "y")
	if !slices.Equal(imgs.removed, []string{"nginx:1.27"}) {
		t.Errorf("removed %q", imgs.removed)
	}
	if !strings.Contains(strings.Join(m.commands, "\n"), "berth rmi nginx:1.27") {
		t.Errorf("command log %q", m.commands)
	}
}

func TestMouse(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	click := func(x, y int) {
		_, cmd := m.Update(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft})
		settle(m, cmd)
	}
	click(5, 5) // third data row
	if sel, _ := m.ctrs.Selected(); sel.Name != "demo-failed" {
		t.Errorf("click selected %q", sel.Name)
	}
	m.Update(tea.MouseWheelMsg{X: 5, Y: 5, Button: tea.MouseWheelDown})
	if sel, _ := m.ctrs.Selected(); sel.Name != "web" {
		t.Errorf("wheel moved to %q", sel.Name)
	}
	click(8, m.listHeight()+1) // "Stats" in the tab bar
	if m.cTab != tabStats {
		t.Errorf("tab click: tab %d", m.cTab)
	}
	click(24, 0) // "2 Images" in the header
	if m.panel != panelImages {
		t.Errorf("header click: panel %d", m.panel)
	}
	click(10, m.listHeight()+5)
	if !m.detail {
		t.Error("click in the detail pane does not focus it")
	}
}

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
