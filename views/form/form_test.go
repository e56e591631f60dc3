package form

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"berth/views"
)

// required is a Check: field 0 must not be empty, field 1 must not be "bad".
func required(fs Fields) []string {
	errs := make([]string, 2)
	if fs.Value(0) == "" {
		errs[0] = "a name is required"
	}
	if fs.Value(1) == "bad" {
		errs[1] = "bad value: invalid argument"
	}
	return errs
}

func press(s string) tea.Msg {
	switch s {
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	}
	return tea.KeyPressMsg{Code: rune(s[0]), Text: s}
}

func TestFieldsUpdate(t *testing.T) {
	tests := []struct {
		keys       string
		step       Step
		focus      int
		v0, v1     string
		err0, err1 bool
	}{
		{keys: "esc", step: Cancel},
		{keys: "enter", step: Edited, err0: true},
		{keys: "a enter", step: Submit, v0: "a"},
		{keys: "tab x", step: Edited, focus: 1, v1: "x"},
		{keys: "shift+tab", step: Edited, focus: 1},
		{keys: "tab b a d shift+tab n enter", step: Edited, focus: 1, v0: "n", v1: "bad", err1: true},
	}
	for _, tt := range tests {
		f := New(2, 16)
		f.Focus()
		var step Step
		for _, k := range strings.Fields(tt.keys) {
			_, step = f.Update(press(k), required)
		}
		if step != tt.step || f.focus != tt.focus || f.Value(0) != tt.v0 || f.Value(1) != tt.v1 ||
			(f.errs[0] != "") != tt.err0 || (f.errs[1] != "") != tt.err1 {
			t.Errorf("%q: step %d focus %d values %q %q errs %q", tt.keys, step, f.focus, f.Value(0), f.Value(1), f.errs)
		}
	}
}

func TestFieldsAreValues(t *testing.T) {
	f := New(2, 16)
	f.Focus()
	before := f
	f.Set(1, "bad", required)
	f.Update(press("tab"), required)
	if before.Value(1) != "" || before.errs[1] != "" || before.focus != 0 {
		t.Errorf("earlier copy changed: %q %q %d", before.Value(1), before.errs[1], before.focus)
	}
	out := ansi.Strip(f.View(views.NewTheme(true), Layout{Title: "Make a thing", Labels: []string{"Name", "Value"},
		Hints: []string{"its name", "its value"}, LabelWidth: 6, Verb: "make"}, 60))
	for _, want := range []string{"Make a thing", " Name   ▏", "│        ✗ bad value   ", "its value", "enter make", "tab/↓ next  enter"} {
		if !strings.Contains(out, want) {
			t.Errorf("view lacks %q:\n%s", want, out)
		}
	}
}
