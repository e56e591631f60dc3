package views

import (
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

type item struct{ id, text string }

func newItems(ids ...string) List[item] {
	l := NewList(func(i item) string { return i.id }, func(i item) string { return i.text })
	var rows []item
	for _, id := range ids {
		rows = append(rows, item{id: id, text: "row " + id})
	}
	l.SetRows(rows)
	return l
}

func ids(rows []item) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.id)
	}
	return out
}

func TestListNavigate(t *testing.T) {
	k := NavKeys{
		Up: key.NewBinding(key.WithKeys("k")), Down: key.NewBinding(key.WithKeys("j")),
		Top: key.NewBinding(key.WithKeys("g")), Bottom: key.NewBinding(key.WithKeys("G")),
		PageUp: key.NewBinding(key.WithKeys("pgup")), PageDown: key.NewBinding(key.WithKeys("pgdown")),
	}
	press := func(s string) tea.KeyPressMsg {
		if s == "pgup" {
			return tea.KeyPressMsg{Code: tea.KeyPgUp}
		}
		if s == "pgdown" {
			return tea.KeyPressMsg{Code: tea.KeyPgDown}
		}
		return tea.KeyPressMsg{Code: rune(s[0]), Text: s}
	}
	tests := []struct {
		keys string
		want string
		used bool
	}{
		{"j", "b", true},
		{"j j j j j j j", "e", true},
		{"G k", "d", true},
		{"pgdown", "d", true},
		{"pgdown pgup", "a", true},
		{"G g", "a", true},
		{"x", "a", false},
	}
	for _, tt := range tests {
		l := newItems("a", "b", "c", "d", "e")
		used := false
		for _, s := range strings.Fields(tt.keys) {
			used = l.Navigate(press(s), k, 3)
		}
		sel, _ := l.Selected()
		if sel.id != tt.want || used != tt.used {
			t.Errorf("%q: at %q used %v, want %q %v", tt.keys, sel.id, used, tt.want, tt.used)
		}
	}
}

func TestListKeepsSelectionAndMarks(t *testing.T) {
	l := newItems("a", "b", "c")
	l.ToggleMark() // marks a, moves to b
	l.ToggleMark() // marks b, moves to c
	if got := ids(l.Targets()); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("targets %v", got)
	}
	l.SetRows([]item{{"c", "row c"}, {"b", "row b"}, {"z", "row z"}})
	if sel, _ := l.Selected(); sel.id != "c" {
		t.Errorf("cursor on %q after refresh, want c", sel.id)
	}
	if l.MarkCount() != 1 || !l.Marked(item{id: "b"}) {
		t.Errorf("marks after a is gone: %d", l.MarkCount())
	}
	l.SetFilter("z")
	if got := ids(l.Targets()); l.Len() != 1 || !slices.Equal(got, []string{"z"}) {
		t.Errorf("filtered targets %v (len %d)", got, l.Len())
	}
	l.SetFilter("")
	l.SetOrder(func(a, b item) int { return strings.Compare(a.id, b.id) })
	l.Select("z")
	if !l.ClickRow(0) || l.ClickRow(3) {
		t.Fatal("click rows")
	}
	if sel, _ := l.Selected(); sel.id != "b" {
		t.Errorf("first sorted row %q, want b", sel.id)
	}
}

func TestListBox(t *testing.T) {
	th := NewTheme(true)
	cols := []Column{{Title: "ID", Width: 4}, {Title: "TEXT", Width: 8, Grow: true}}
	cells := func(i item) []string { return []string{i.id, i.text} }
	l := newItems("a", "b", "c", "d")
	l.Navigate(tea.KeyPressMsg{Code: 'G', Text: "G"}, NavKeys{Bottom: key.NewBinding(key.WithKeys("G"))}, 1)
	out := ansi.Strip(l.Box(th, cols, CountTitle("Things", l.Len(), ""), "none", 30, 5, false, cells))
	if !strings.Contains(out, "Things 4") || !strings.Contains(out, ">    row d") || strings.Contains(out, "row a") {
		t.Errorf("scrolled box:\n%s", out)
	}
	l.SetFilter("nothing")
	out = ansi.Strip(l.Box(th, cols, CountTitle("Things", l.Len(), "nothing"), FilterEmpty("none", "nothing"), 50, 5, true, cells))
	if !strings.Contains(out, "Things 0 /nothing") || !strings.Contains(out, "nothing matches /nothing") {
		t.Errorf("empty box:\n%s", out)
	}
}
