// Package views holds the screens of berth's terminal UI and what they share:
// the theme, boxes, tables and the list state behind every table panel,
// sparklines, braille graphs, fuzzy matching and human-readable sizes (the
// forms' shared fields are in views/form). Each screen lives in its own
// sub-package with its own model, keys and rendering; views never import the tui router, and nothing
// below views imports Bubble Tea.
package views

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Theme is the set of styles every view draws with.
type Theme struct {
	// Title is a box title; Focus a focused box's border and title.
	Title, Focus, Border lipgloss.Style
	// Header is a table header; Selected the cursor row; Marked a marked row.
	Header, Selected, Marked lipgloss.Style
	// Dim is secondary text; Key a key in the footer or help.
	Dim, Key lipgloss.Style
	// OK, Warn, Bad colour states: running, paused/created, exited/dead.
	OK, Warn, Bad lipgloss.Style
	// Match highlights a search match; Current the current match.
	Match, Current lipgloss.Style
	// Banner is an error banner; Info an information line.
	Banner, Info lipgloss.Style
	// TabOn and TabOff draw detail tabs and panel names.
	TabOn, TabOff lipgloss.Style
}

// NewTheme returns the theme; with noColor it uses attributes only (bold,
// reverse, underline) so that NO_COLOR terminals still show the cursor,
// matches and states.
func NewTheme(noColor bool) Theme {
	fg := func(c string) lipgloss.Style {
		if noColor {
			return lipgloss.NewStyle()
		}
		return lipgloss.NewStyle().Foreground(lipgloss.Color(c))
	}
	bg := func(s lipgloss.Style, c string) lipgloss.Style {
		if noColor {
			return s.Reverse(true)
		}
		return s.Background(lipgloss.Color(c))
	}
	t := Theme{
		Title:    lipgloss.NewStyle().Bold(true),
		Focus:    fg("6").Bold(true),
		Border:   fg("8"),
		Header:   lipgloss.NewStyle().Bold(true).Underline(true),
		Selected: lipgloss.NewStyle().Reverse(true),
		Marked:   fg("5").Bold(true),
		Dim:      fg("8"),
		Key:      fg("6").Bold(true),
		OK:       fg("2"),
		Warn:     fg("3"),
		Bad:      fg("1"),
		Match:    bg(fg("0"), "3"),
		Current:  bg(fg("0"), "6").Bold(true),
		Banner:   bg(fg("15"), "1").Bold(true),
		Info:     fg("6"),
		TabOn:    lipgloss.NewStyle().Bold(true).Reverse(true),
		TabOff:   fg("8"),
	}
	if noColor {
		t.Focus = lipgloss.NewStyle().Bold(true)
		t.Marked = lipgloss.NewStyle().Bold(true).Underline(true)
		t.Bad = lipgloss.NewStyle().Bold(true)
	}
	return t
}

// Fit cuts s (which may hold ANSI styles) to exactly width cells, padding
// with spaces.
func Fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := ansi.StringWidth(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return s + strings.Repeat(" ", width-w)
}

// FitLeft is Fit aligned right.
func FitLeft(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := ansi.StringWidth(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return strings.Repeat(" ", width-w) + s
}

// Box draws lines inside a rounded border of width×height cells with title
// in the top edge; lines are cut or padded to fit.
func Box(th Theme, title string, lines []string, width, height int, focused bool) string {
	if height <= 0 || width <= 0 {
		return ""
	}
	if width < 4 || height < 2 {
		return Lines([]string{title}, width, height)
	}
	bs := th.Border
	if focused {
		bs = th.Focus
	}
	inner := width - 2
	top := "╭"
	if title != "" {
		t := ansi.Truncate(" "+title+" ", inner-1, "…")
		top += "─" + t + strings.Repeat("─", max(0, inner-1-ansi.StringWidth(t)))
	} else {
		top += strings.Repeat("─", inner)
	}
	var b strings.Builder
	b.WriteString(bs.Render(top+"╮") + "\n")
	for i := 0; i < height-2; i++ {
		l := ""
		if i < len(lines) {
			l = lines[i]
		}
		b.WriteString(bs.Render("│") + Fit(l, inner) + bs.Render("│") + "\n")
	}
	b.WriteString(bs.Render("╰" + strings.Repeat("─", inner) + "╯"))
	return b.String()
}

// Lines pads or cuts a block of text to exactly height lines of width cells.
func Lines(lines []string, width, height int) string {
	out := make([]string, height)
	for i := range out {
		if i < len(lines) {
			out[i] = Fit(lines[i], width)
		} else {
			out[i] = strings.Repeat(" ", width)
		}
	}
	return strings.Join(out, "\n")
}

// HumanBytes formats n as docker does: 1.5MiB, 512B.
func HumanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// HumanRate formats a byte rate per second.
func HumanRate(bps float64) string {
	if bps < 0 {
		bps = 0
	}
	return HumanBytes(uint64(bps)) + "/s"
}

// Sanitize makes one log or output line safe to draw: tabs become spaces and
// control characters and escape sequences are dropped, so a container cannot
// move the cursor or recolour the screen.
func Sanitize(s string) string {
	s = ansi.Strip(s)
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Wrap breaks s (which may hold ANSI styles) into lines of at most width cells.
func Wrap(s string, width int) []string {
	if width <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, width, " ,"), "\n")
}
