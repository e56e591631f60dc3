package logs

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"berth/views"
)

// timeLayout is how the `t` toggle prints line times (UTC, as docker logs -t).
const timeLayout = "15:04:05.000"

// View draws the pane as a box of width×height cells.
func (m *Model) View(th views.Theme, width, height int, focused bool) string {
	inner, rows := width-2, height-2
	if m.searching {
		rows--
	}
	rows = max(rows, 0)
	m.height = max(rows, 1)
	lines := m.render(th, inner, rows)
	if m.searching {
		m.input.SetWidth(max(inner-2, 1))
		lines = append(lines, m.input.View())
	}
	return views.Box(th, m.title(), lines, width, height, focused)
}

func (m Model) title() string {
	t := "Logs"
	if m.source != "" {
		t += " " + m.source
	}
	t += fmt.Sprintf(" · %d lines", m.r.n)
	if m.r.dropped > 0 {
		t += fmt.Sprintf(" (%d dropped)", m.r.dropped)
	}
	switch {
	case m.ended:
		t += " · ended"
	case m.follow:
		t += " · following"
	default:
		t += " · paused"
	}
	if m.term != "" {
		pos := 0
		if len(m.matches) > 0 {
			pos = m.cur + 1
		}
		t += fmt.Sprintf(" · /%s %d/%d", m.term, pos, len(m.matches))
		if m.filterOnly {
			t += " filtered"
		}
	}
	var flags []string
	if m.timestamps {
		flags = append(flags, "t")
	}
	if m.wrap {
		flags = append(flags, "w")
	}
	if len(flags) > 0 {
		t += " [" + strings.Join(flags, "") + "]"
	}
	return t
}

// render returns up to rows display lines ending at m.bottom.
func (m Model) render(th views.Theme, width, rows int) []string {
	if m.r.n == 0 {
		return []string{th.Dim.Render("  no log lines yet")}
	}
	var out [][]string // per logical line, its display rows (newest first)
	used := 0
	curSeq := -1
	if len(m.matches) > 0 {
		curSeq = m.matches[m.cur]
	}
	for seq := m.bottom; seq >= m.r.dropped && used < rows; seq-- {
		if m.filterOnly && !m.isMatch(seq) {
			continue
		}
		l := m.r.at(seq - m.r.dropped)
		disp := m.lineRows(th, l, width, rows, seq == curSeq)
		out = append(out, disp)
		used += len(disp)
	}
	res := make([]string, 0, rows)
	for i := len(out) - 1; i >= 0; i-- {
		res = append(res, out[i]...)
	}
	if len(res) > rows {
		res = res[len(res)-rows:]
	}
	return res
}

func (m Model) isMatch(seq int) bool {
	lo, hi := 0, len(m.matches)
	for lo < hi {
		mid := (lo + hi) / 2
		if m.matches[mid] < seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo < len(m.matches) && m.matches[lo] == seq
}

// lineRows renders one line as one display row, or several when wrapping
// (at most maxRows); the text is cut before any work so a huge line costs
// no more than a screenful.
func (m Model) lineRows(th views.Theme, l *Line, width, maxRows int, current bool) []string {
	prefix := " "
	if l.Stderr {
		prefix = th.Bad.Render("▍")
	}
	if m.timestamps {
		prefix += th.Dim.Render(l.Time.UTC().Format(timeLayout)) + " "
	}
	pw := ansi.StringWidth(prefix)
	tw := max(width-pw, 1)
	hl := th.Match
	if current {
		hl = th.Current
	}
	if !m.wrap {
		text := ansi.Truncate(l.Text, tw, "…")
		return []string{prefix + highlight(text, m.term, hl)}
	}
	text := ansi.Truncate(l.Text, tw*maxRows, "…")
	var rows []string
	total := ansi.StringWidth(text)
	for off := 0; off < total || off == 0; off += tw {
		chunk := ansi.Cut(text, off, off+tw)
		p := strings.Repeat(" ", pw)
		if off == 0 {
			p = prefix
		}
		rows = append(rows, p+highlight(chunk, m.term, hl))
		if len(rows) == maxRows {
			break
		}
	}
	return rows
}

// highlight styles each case-insensitive occurrence of term in s (plain text).
func highlight(s, term string, st lipgloss.Style) string {
	if term == "" {
		return s
	}
	ls, lt := strings.ToLower(s), strings.ToLower(term)
	if len(ls) != len(s) || !strings.Contains(ls, lt) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(ls, lt)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(st.Render(s[i : i+len(lt)]))
		s, ls = s[i+len(lt):], ls[i+len(lt):]
	}
}
