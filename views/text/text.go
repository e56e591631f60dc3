// Package text is a scrollable pane of plain lines, used for the Inspect,
// Env, Top and History tabs, command output and the command log.
package text

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"berth/views"
)

// Model is a scrollable block of lines.
type Model struct {
	lines  []string
	offset int
	height int
	key    string // what the lines show, so a refresh keeps the scroll position
	header string // a fixed first line (column titles)
}

// SetLines replaces the content. When key differs from the current one the
// pane scrolls back to the top.
func (m *Model) SetLines(key string, lines []string) {
	if key != m.key {
		m.offset = 0
	}
	m.key = key
	m.lines = lines
}

// SetText splits s into lines and sanitises them.
func (m *Model) SetText(key, s string) {
	raw := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range raw {
		raw[i] = views.Sanitize(l)
	}
	m.SetLines(key, raw)
}

// SetHeader sets a fixed header line drawn above the scrolled lines.
func (m *Model) SetHeader(h string) { m.header = h }

// Key returns what the pane shows.
func (m Model) Key() string { return m.key }

// Lines returns the content.
func (m Model) Lines() []string { return m.lines }

// ScrollToEnd shows the last lines.
func (m *Model) ScrollToEnd() { m.offset = max(len(m.lines)-m.height, 0) }

var (
	up       = key.NewBinding(key.WithKeys("k", "up"))
	down     = key.NewBinding(key.WithKeys("j", "down"))
	top      = key.NewBinding(key.WithKeys("g", "home"))
	bottom   = key.NewBinding(key.WithKeys("G", "end"))
	pageUp   = key.NewBinding(key.WithKeys("pgup", "ctrl+u"))
	pageDown = key.NewBinding(key.WithKeys("pgdown", "ctrl+d"))
)

// Update scrolls on j/k, g/G and page keys; it reports whether it used the key.
func (m Model) Update(msg tea.KeyPressMsg) (Model, bool) {
	page := max(m.height-1, 1)
	switch {
	case key.Matches(msg, up):
		m.offset--
	case key.Matches(msg, down):
		m.offset++
	case key.Matches(msg, top):
		m.offset = 0
	case key.Matches(msg, bottom):
		m.offset = len(m.lines)
	case key.Matches(msg, pageUp):
		m.offset -= page
	case key.Matches(msg, pageDown):
		m.offset += page
	default:
		return m, false
	}
	m.clamp()
	return m, true
}

func (m *Model) clamp() {
	m.offset = min(max(m.offset, 0), max(len(m.lines)-m.height, 0))
}

// View draws the pane in a box with title.
func (m *Model) View(th views.Theme, title string, width, height int, focused bool) string {
	rows := height - 2
	var out []string
	if m.header != "" {
		out = append(out, th.Header.Render(ansi.Truncate(m.header, width-2, "")))
		rows--
	}
	rows = max(rows, 0)
	m.height = max(rows, 1)
	m.clamp()
	end := min(m.offset+rows, len(m.lines))
	for _, l := range m.lines[m.offset:end] {
		out = append(out, ansi.Truncate(l, width-2, "…"))
	}
	if len(m.lines) > rows && rows > 0 {
		title += fmt.Sprintf(" · %d-%d/%d", m.offset+1, end, len(m.lines))
	}
	return views.Box(th, title, out, width, height, focused)
}
