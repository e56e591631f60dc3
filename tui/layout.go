package tui

import (
	"berth/engine"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"berth/views"
	"berth/views/help"
	"berth/views/statsview"
)

// Minimum terminal size.
const minWidth, minHeight = 40, 10

// View draws the frame.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "berth"
	return v
}

// Render draws the frame as a string (the golden tests compare it).
func (m *Model) Render() string {
	w, h := m.width, m.height
	if w < minWidth || h < minHeight {
		if w == 0 || h == 0 {
			return ""
		}
		return views.Lines([]string{fmt.Sprintf("terminal too small: %d×%d, berth needs %d×%d", w, h, minWidth, minHeight)}, w, h)
	}
	bodyH := h - 3
	var body string
	switch {
	case m.overlay == overlayHelp:
		m.help.SetLines("help", help.Lines(m.th, m.keys.helpGroups(), w-2))
		body = m.help.View(m.th, "Keys (j/k scroll, esc closes)", w, bodyH, true)
	case m.overlay == overlayCmdLog:
		body = m.cmdlog.View(m.th, "Command log — what each action would be on the CLI (esc closes)", w, bodyH, true)
	case m.overlay == overlayOutput:
		body = m.output.View(m.th, "Command output (esc closes)", w, bodyH, true)
	default:
		body = m.panelView(w, bodyH)
	}
	if m.dialog != nil {
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, m.dialog.View(m.th, w-4))
	}
	if m.pull != nil {
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, m.pull.View(m.th, w-4, bodyH))
	}
	if m.form != nil {
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, m.form.View(m.th, w-4))
	}
	if m.netForm != nil {
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, m.netForm.View(m.th, w-4))
	}
	if m.volForm != nil {
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, m.volForm.View(m.th, w-4))
	}
	if m.buildForm != nil {
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, m.buildForm.View(m.th, w-4))
	}
	if m.build != nil {
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, m.build.View(m.th, w-4, bodyH, m.now()))
	}
	return strings.Join([]string{m.header(w), body, m.statusLine(w), m.footer(w)}, "\n")
}

// compact is true when the body is too short for a tab bar.
func (m *Model) compact() bool { return m.height-3 < 14 }

func (m *Model) listHeight() int {
	bodyH := m.height - 3
	if m.compact() {
		return max(bodyH/2, 4)
	}
	return max(min(bodyH*2/5, bodyH-8), 5)
}

// split joins the list, the tab bar (unless compact) and the detail pane.
func (m *Model) split(list, tabs string, h, lh int, detail func(h int) string) string {
	if m.compact() {
		return list + "\n" + detail(h-lh)
	}
	return list + "\n" + tabs + "\n" + detail(h-lh-1)
}

func (m *Model) panelView(w, h int) string {
	now := m.now()
	switch m.panel {
	case panelContainers:
		lh := m.listHeight()
		list := m.ctrs.View(m.th, w, lh, !m.detail, now)
		return m.split(list, m.tabBar(containerTabs[:], m.cTab, w), h, lh, func(dh int) string { return m.containerDetail(w, dh) })
	case panelImages:
		lh := m.listHeight()
		list := m.imgs.View(m.th, w, lh, !m.detail, now)
		title := "Inspect"
		if m.iTab == tabImgHistory {
			title = "History — layers, sizes and the step that made each"
		} else if m.iTab == tabImgAudit {
			title = "Audit — pitfalls in the image, why they matter and the fix"
		}
		return m.split(list, m.tabBar(imageTabs[:], m.iTab, w), h, lh, func(dh int) string { return m.pane.View(m.th, title, w, dh, m.detail) })
	case panelNetworks:
		lh := m.listHeight()
		list := m.nets.View(m.th, w, lh, !m.detail, now)
		return m.split(list, m.tabBar(netTabs[:], m.nTab, w), h, lh, func(dh int) string { return m.networkDetail(w, dh) })
	}
	lh := m.listHeight()
	list := m.vols.View(m.th, w, lh, !m.detail, now)
	return m.split(list, m.tabBar(volTabs[:], m.vTab, w), h, lh, func(dh int) string { return m.volumeDetail(w, dh) })
}

func (m *Model) containerDetail(w, h int) string {
	sel, ok := m.ctrs.Selected()
	if !ok {
		return views.Box(m.th, containerTabs[m.cTab], []string{m.th.Dim.Render("  select a container")}, w, h, m.detail)
	}
	switch m.cTab {
	case tabLogs:
		return m.logs.View(m.th, w, h, m.detail)
	case tabStats:
		var hist []engine.StatsSample
		if r := m.hist[sel.ID]; r != nil {
			hist = r.Slice()
		}
		lim := statsview.Limits{CPUs: float64(sel.C.HostConfig.NanoCPUs) / 1e9, Memory: sel.C.HostConfig.Memory}
		lines := []string{m.th.Dim.Render("  " + sel.Name + " is not running")}
		if sel.Running() {
			lines = statsview.Render(m.th, hist, lim, w-2, h-2)
		}
		return views.Box(m.th, "Stats "+sel.Name, lines, w, h, m.detail)
	}
	return m.pane.View(m.th, containerTabs[m.cTab]+" "+sel.Name, w, h, m.detail)
}

func (m *Model) networkDetail(w, h int) string {
	r, ok := m.nets.Selected()
	if !ok {
		return views.Box(m.th, netTabs[m.nTab], []string{m.th.Dim.Render("  select a network")}, w, h, m.detail)
	}
	title := "Inspect " + r.Net.Name
	if m.nTab == tabNetContainers {
		title = fmt.Sprintf("Containers on %s — %d attached, each by a veth pair into bridge %s", r.Net.Name, len(r.Members), r.Net.Bridge)
	}
	return m.pane.View(m.th, title, w, h, m.detail)
}

func (m *Model) tabBar(tabs []string, cur, w int) string {
	var parts []string
	for i, t := range tabs {
		if i == cur {
			parts = append(parts, m.th.TabOn.Render(" "+t+" "))
		} else {
			parts = append(parts, m.th.TabOff.Render(" "+t+" "))
		}
	}
	hint := m.th.Dim.Render("  [ ] tabs · l/h focus")
	return views.Fit(" "+strings.Join(parts, "")+hint, w)
}

func (m *Model) header(w int) string {
	left := m.th.Focus.Render(" berth ")
	names := panelNames
	if w < 100 {
		names = shortPanelNames
	}
	for i, n := range names {
		label := fmt.Sprintf(" %d %s ", i+1, n)
		if i == m.panel {
			left += m.th.TabOn.Render(label)
		} else {
			left += m.th.TabOff.Render(label)
		}
	}
	run, total := m.ctrs.Counts()
	parts := []string{fmt.Sprintf("%d/%d up", run, total)}
	if m.host.MemTotal > 0 {
		used := m.host.MemTotal - min(m.host.MemAvailable, m.host.MemTotal)
		parts = append([]string{fmt.Sprintf("cpu %.0f%%", m.hostCPU),
			"mem " + views.HumanBytes(used) + "/" + views.HumanBytes(m.host.MemTotal)}, parts...)
	}
	right := strings.Join(parts, " · ")
	gap := w - lipgloss.Width(left) - lipgloss.Width(right) - 1
	for gap < 1 && len(parts) > 1 {
		parts = parts[1:]
		right = strings.Join(parts, " · ")
		gap = w - lipgloss.Width(left) - lipgloss.Width(right) - 1
	}
	if gap < 1 {
		return views.Fit(left, w)
	}
	return left + strings.Repeat(" ", gap) + m.th.Dim.Render(right) + " "
}

// statusLine is the filter or command input, an error banner, or the events ticker.
func (m *Model) statusLine(w int) string {
	switch {
	case m.filtering:
		m.filter.SetWidth(w - 4)
		return views.Fit(m.filter.View(), w)
	case m.commanding:
		m.command.SetWidth(w - 4)
		return views.Fit(m.command.View(), w)
	case m.banner != "":
		return m.th.Banner.Render(views.Fit(" ✗ "+views.Sanitize(m.banner), w))
	}
	var parts []string
	for i := len(m.ticker) - 1; i >= 0 && len(parts) < 4; i-- {
		parts = append(parts, m.eventText(i))
	}
	line := " " + strings.Join(parts, m.th.Dim.Render(" · "))
	if len(parts) == 0 {
		line = m.th.Dim.Render(" events appear here as they happen")
	}
	if m.info != "" {
		line = m.th.Info.Render(" "+m.info) + " ·" + line
	}
	return views.Fit(line, w)
}

func (m *Model) eventText(i int) string {
	ev := m.ticker[i]
	name := ev.Attributes["name"]
	if name == "" {
		name = ev.ID[:min(12, len(ev.ID))]
	}
	s := ev.Time.In(m.now().Location()).Format("15:04:05") + " " + ev.Action + " " + name
	if code, ok := ev.Attributes["exitCode"]; ok && ev.Action == "die" {
		s += " (" + code + ")"
		if code != "0" {
			return m.th.Bad.Render(s)
		}
	}
	return s
}

// footer lists the keys that work here.
func (m *Model) footer(w int) string {
	k := func(key, desc string) string { return m.th.Key.Render(key) + " " + desc }
	var parts []string
	switch {
	case m.dialog != nil:
		parts = []string{k("enter", "ok"), k("esc", "cancel")}
	case m.form != nil:
		parts = []string{k("tab", "next field"), k("enter", "run"), k("esc", "cancel")}
	case m.netForm != nil, m.volForm != nil:
		parts = []string{k("tab", "next field"), k("enter", "create"), k("esc", "cancel")}
	case m.buildForm != nil:
		parts = []string{k("tab", "next field"), k("enter", "build"), k("esc", "cancel")}
	case m.build != nil && m.build.Running():
		parts = []string{k("esc", "cancel the build")}
	case m.build != nil:
		parts = []string{k("esc", "close")}
	case m.pull != nil:
		parts = []string{k("esc", "cancel the pull")}
	case m.overlay != overlayNone:
		parts = []string{k("esc", "close"), k("j/k", "scroll")}
	case m.detail && m.panel == panelContainers && m.cTab == tabLogs:
		parts = []string{k("/", "search"), k("n/N", "match"), k("f", "filter"), k("t", "time"),
			k("w", "wrap"), k("s", "follow"), k("h", "back"), k("?", "help")}
	case m.panel == panelContainers:
		parts = []string{k("?", "help"), k("s", "start"), k("S", "stop"), k("r", "restart"), k("p", "pause"),
			k("K", "kill"), k("d", "rm"), k("e", "exec"), k("a", "attach"), k("n", "new"), k("R", "rename"), k("P", "prune"), k("/", "filter"),
			k(":", "cmd"), k("L", "log"), k("q", "quit")}
	case m.panel == panelImages:
		parts = []string{k("u", "pull"), k("b", "build"), k("n", "run"), k("d", "remove"), k("/", "filter"), k("[ ]", "tabs"), k(":", "cmd"), k("?", "help"), k("q", "quit")}
	case m.panel == panelNetworks, m.panel == panelVolumes:
		parts = []string{k("n", "create"), k("d", "remove"), k("P", "prune"), k("/", "filter"), k("[ ]", "tabs"), k(":", "cmd"), k("L", "log"), k("?", "help"), k("q", "quit")}
	default:
		parts = []string{k("tab", "panel"), k(":", "cmd"), k("?", "help"), k("q", "quit")}
	}
	return views.Fit(" "+strings.Join(parts, " "), w)
}
