package containers

import (
	"fmt"
	"strings"
	"time"

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
	shown, total, f := m.list.Len(), len(m.list.Rows()), m.list.Filter()
	title := fmt.Sprintf("Containers %d", shown)
	if shown != total {
		title = fmt.Sprintf("Containers %d/%d", shown, total)
	}
	if f != "" {
		title += " /" + f
	}
	if m.sort != SortCreated || m.desc {
		arrow := "▲"
		if m.desc {
			arrow = "▼"
		}
		title += " · sort " + m.sort.String() + arrow
	}
	if n := m.list.MarkCount(); n > 0 {
		title += fmt.Sprintf(" · %d marked", n)
	}
	empty := views.FilterEmpty("  no containers — run one with  :run -d busybox sleep 1000", f)
	return m.list.Box(th, columns, title, empty, width, height, focused,
		func(r Row) []string { return m.cells(th, r, now) })
}

// cells renders one row's cells.
func (m *Model) cells(th views.Theme, r Row, now time.Time) []string {
	name := r.Name
	if m.list.Marked(r) {
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
	return []string{name, r.Image, StateCell(th, r), r.C.StatusText(now), cpu, mem, r.Uptime(now), spark, PortsCell(r.C)}
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
	return st.Render("●") + " " + st.Render(state) + healthMarker(th, r)
}

// healthMarker follows the state of a running container that has a health
// check: a heart, green when healthy, amber while starting, red when not.
func healthMarker(th views.Theme, r Row) string {
	st := th.Warn
	switch r.Health() {
	case "":
		return ""
	case "healthy":
		st = th.OK
	case "unhealthy":
		st = th.Bad
	}
	return " " + st.Render("♥")
}

// Counts returns how many containers run and how many there are.
func (m Model) Counts() (running, total int) {
	rows := m.list.Rows()
	for _, r := range rows {
		if r.Running() {
			running++
		}
	}
	return running, len(rows)
}

// Names returns the names of rows, joined for dialogs.
func Names(rows []Row) string {
	ns := make([]string, len(rows))
	for i, r := range rows {
		ns[i] = r.Name
	}
	return strings.Join(ns, ", ")
}
