package containers

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"berth/views"
)

var columns = []views.Column{
	{Title: "NAME", Width: 10, Grow: true},
	{Title: "IMAGE", Width: 8, Grow: true, HideBelow: 70},
	{Title: "STATE", Width: 12},
	{Title: "STATUS", Width: 26, HideBelow: 60},
	{Title: "CPU%", Width: 6, Right: true},
	{Title: "MEM", Width: 9, Right: true, HideBelow: 50},
	{Title: "UP", Width: 4, Right: true, HideBelow: 90},
	{Title: "CPU HISTORY", Width: 12, HideBelow: 110},
	{Title: "PORTS", Width: 22, Grow: true, HideBelow: 136},
}

// View draws the table as a box of width×height cells.
func (m *Model) View(th views.Theme, width, height int, focused bool, now time.Time) string {
	inner := width - 2
	rowsH := height - 3 // borders and header
	title := fmt.Sprintf("Containers %d", len(m.view))
	if len(m.view) != len(m.rows) {
		title = fmt.Sprintf("Containers %d/%d", len(m.view), len(m.rows))
	}
	if m.filter != "" {
		title += " /" + m.filter
	}
	if m.sort != SortCreated || m.desc {
		arrow := "▲"
		if m.desc {
			arrow = "▼"
		}
		title += " · sort " + m.sort.String() + arrow
	}
	if n := len(m.marks); n > 0 {
		title += fmt.Sprintf(" · %d marked", n)
	}
	ws := views.ColumnWidths(columns, inner)
	hdr := make([]string, len(columns))
	for i, c := range columns {
		hdr[i] = c.Title
	}
	lines := make([]string, 0, height)
	lines = append(lines, th.Header.Render(views.TableRow(columns, ws, hdr)))
	if len(m.view) == 0 {
		msg := "  no containers — run one with  :run -d busybox sleep 1000"
		if m.filter != "" {
			msg = "  nothing matches /" + m.filter + " (esc clears)"
		}
		lines = append(lines, th.Dim.Render(msg))
	}
	m.offset = views.Window(m.cursor, m.offset, rowsH, len(m.view))
	for vi := m.offset; vi < len(m.view) && vi < m.offset+rowsH; vi++ {
		r := m.rows[m.view[vi]]
		line := views.TableRow(columns, ws, m.cells(th, r, now))
		switch {
		case vi == m.cursor && focused:
			line = views.Highlight(th, line)
		case vi == m.cursor:
			line = th.Title.Render(">") + ansi.Cut(line, 1, inner)
		}
		lines = append(lines, line)
	}
	return views.Box(th, title, lines, width, height, focused)
}

// cells renders one row's cells.
func (m *Model) cells(th views.Theme, r Row, now time.Time) []string {
	name := r.Name
	if m.marks[r.ID] {
		name = th.Marked.Render("✓" + name)
	} else {
		name = " " + name
	}
	cpu, mem, spark := "-", "-", ""
	if u := m.use[r.ID]; u != nil && r.Running() {
		cpu = fmt.Sprintf("%.1f", u.cpu)
		mem = views.HumanBytes(u.mem)
		spark = th.Info.Render(views.Sparkline(u.spark, 12, 100))
	}
	return []string{name, r.Image, StateCell(th, r), r.Status(now), cpu, mem, r.Uptime(now), spark, PortsCell(r.C)}
}

// StateCell is the coloured dot and state name.
func StateCell(th views.Theme, r Row) string {
	state := r.State
	if state == "exited" {
		state = fmt.Sprintf("exited %d", r.ExitCode)
	}
	st := th.Dim
	switch r.State {
	case "running":
		st = th.OK
	case "paused", "restarting", "created":
		st = th.Warn
	case "exited", "dead":
		st = th.Bad
		if r.State == "exited" && r.ExitCode == 0 {
			st = th.Dim
		}
	}
	return st.Render("●") + " " + st.Render(state)
}

// Counts returns how many containers run and how many there are.
func (m Model) Counts() (running, total int) {
	for _, r := range m.rows {
		if r.Running() {
			running++
		}
	}
	return running, len(m.rows)
}

// Names returns the names of rows, joined for dialogs.
func Names(rows []Row) string {
	ns := make([]string, len(rows))
	for i, r := range rows {
		ns[i] = r.Name
	}
	return strings.Join(ns, ", ")
}
