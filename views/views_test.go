package views

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestFuzzyScore(t *testing.T) {
	cases := []struct {
		pattern, s string
		ok         bool
	}{
		{"", "anything", true},
		{"dlg", "demo-logger", true},
		{"LOG", "demo-logger", true},
		{"gol", "demo-logger", false},
		{"xyz", "demo-logger", false},
	}
	for _, c := range cases {
		if _, ok := FuzzyScore(c.pattern, c.s); ok != c.ok {
			t.Errorf("FuzzyScore(%q, %q) = %v, want %v", c.pattern, c.s, ok, c.ok)
		}
	}
	exact, _ := FuzzyScore("log", "demo-logger")
	scattered, _ := FuzzyScore("dlg", "demo-logger")
	if exact <= scattered {
		t.Errorf("a substring scores %d, not above a scattered match %d", exact, scattered)
	}
}

func TestGraphAndSparkline(t *testing.T) {
	g := Graph([]float64{0, 50, 100}, 4, 2, 100)
	if len(g) != 2 || ansi.StringWidth(g[0]) != 4 || ansi.StringWidth(g[1]) != 4 {
		t.Fatalf("graph %q", g)
	}
	if g[0] == strings.Repeat(" ", 4) {
		t.Error("the 100% sample does not reach the top row")
	}
	if s := Sparkline([]float64{0, 100}, 4, 100); s != "  "+" █" {
		t.Errorf("sparkline %q", s)
	}
}

func TestColumnWidths(t *testing.T) {
	cols := []Column{{Title: "A", Width: 5, Grow: true}, {Title: "B", Width: 4, HideBelow: 30}, {Title: "C", Width: 3}}
	for _, c := range []struct {
		width int
		want  []int
	}{{40, []int{31, 4, 3}}, {20, []int{16, 0, 3}}} {
		got := ColumnWidths(cols, c.width)
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("width %d: %v, want %v", c.width, got, c.want)
				break
			}
		}
		if line := TableRow(cols, got, []string{"a", "b", "c"}); ansi.StringWidth(line) != c.width {
			t.Errorf("row is %d wide, want %d", ansi.StringWidth(line), c.width)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 1023: "1023B", 1024: "1.0KiB", 3 << 20: "3.0MiB", 5 << 30: "5.0GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
