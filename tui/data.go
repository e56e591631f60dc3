package tui

import (
	"berth/engine"
	"berth/views/buildview"
	"encoding/json"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"berth/views"
)

// handleData routes a message from the engine or a stream.
func (m *Model) handleData(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case buildview.CheckedMsg:
		if m.buildForm != nil {
			return m.updateBuildForm(msg)
		}
		return nil
	case containersMsg:
		return m.onContainers(msg)
	case networksMsg:
		return m.onNetworks(msg)
	case volumesMsg:
		return m.onVolumes(msg)
	case imagesMsg:
		return m.onImages(msg)
	case eventsStartedMsg:
		return waitEvents(msg.ch, msg.errc)
	case eventsMsg:
		return m.onEvents(msg)
	case statsMsg:
		m.onStats(msg.batch)
		return waitStats(m.statsOut)
	case statsErrMsg:
		m.setBanner(fmt.Errorf("live stats unavailable: %w", msg.err))
		return nil
	case logStartMsg:
		return m.onLogStart(msg)
	case logLinesMsg:
		return m.onLogLines(msg)
	case topMsg:
		if msg.key == m.topKey && msg.gen == m.topGen {
			m.setTop(msg)
		}
	case pullProgressMsg:
		return m.onPull(msg)
	case buildProgressMsg:
		return m.onBuild(msg)
	case spinner.TickMsg:
		return m.updateBuildSpinner(msg)
	case xrayMsg:
		m.onXRay(msg)
	case auditMsg:
		m.setAudit(msg)
	case historyMsg:
		if msg.key == m.histKey {
			m.setHistory(msg)
		}
	case hostMsg:
		if msg.err == nil {
			m.hostCPU = engine.HostCPUPercent(m.host, msg.h)
			m.host = msg.h
		}
	case tickMsg:
		return m.onTick()
	case actionMsg:
		return m.onAction(msg)
	case outputMsg:
		return m.onOutput(msg)
	case execDoneMsg:
		return m.onExecDone(msg)
	}
	return nil
}

// onImages takes a new image list.
func (m *Model) onImages(msg imagesMsg) tea.Cmd {
	m.setBanner(msg.err)
	if msg.err == nil {
		m.imgsLoaded = true
		m.imageList = msg.imgs
		m.imgs.SetImages(msg.imgs)
	}
	return m.syncDetail()
}

// onLogStart begins reading a log stream of the current generation.
func (m *Model) onLogStart(msg logStartMsg) tea.Cmd {
	if msg.gen != m.logGen {
		return nil
	}
	if msg.err != nil {
		m.setBanner(fmt.Errorf("logs: %w", msg.err))
		m.logs.SetEnded(true)
		return nil
	}
	return waitLogs(msg.gen, msg.ch, msg.errc)
}

// onExecDone shows why an exec or attach session ended, if it failed, and
// refreshes the lists.
func (m *Model) onExecDone(msg execDoneMsg) tea.Cmd {
	if msg.err != nil {
		verb := msg.verb
		if verb == "" {
			verb = "exec in"
		}
		m.setBanner(fmt.Errorf("%s %s: %w", verb, msg.name, msg.err))
	}
	return m.refresh()
}

func (m *Model) onContainers(msg containersMsg) tea.Cmd {
	m.listing = false
	if msg.err != nil {
		m.setBanner(fmt.Errorf("list containers: %w", msg.err))
		return nil
	}
	m.ctrs.SetContainers(msg.cs)
	cmd := m.syncDetail()
	if m.relist {
		m.relist = false
		m.listing = true
		return tea.Batch(cmd, listContainers(m.ctx, m.eng))
	}
	return cmd
}

// refresh re-lists containers now, or right after the list in flight.
func (m *Model) refresh() tea.Cmd {
	if m.listing {
		m.relist = true
		return nil
	}
	m.listing = true
	return listContainers(m.ctx, m.eng)
}

func (m *Model) refreshImages() tea.Cmd {
	if m.opts.Images == nil {
		return nil
	}
	return listImages(m.ctx, m.opts.Images)
}

func (m *Model) onEvents(msg eventsMsg) tea.Cmd {
	if msg.done {
		if msg.err != nil {
			m.setBanner(fmt.Errorf("events: %w", msg.err))
		}
		return nil
	}
	images, restartLogs := false, false
	for _, ev := range msg.evs {
		m.ticker = append(m.ticker, ev)
		if ev.Type == "image" {
			images = true
		}
		if ev.Type == "container" && ev.Action == "start" && ev.ID == m.logKey {
			restartLogs = true
		}
	}
	if n := len(m.ticker); n > 8 {
		m.ticker = append(m.ticker[:0], m.ticker[n-8:]...)
	}
	// Containers join and leave networks as they start and stop: any event
	// may change the members, so the (cheap) network list follows them all.
	cmds := []tea.Cmd{waitEvents(msg.ch, msg.errc), m.refresh(), m.refreshNetworks(), m.refreshVolumes()}
	if images {
		cmds = append(cmds, m.refreshImages())
	}
	if restartLogs {
		m.stopLogs()
		cmds = append(cmds, m.syncDetail())
	}
	return tea.Batch(cmds...)
}

func (m *Model) onStats(batch []engine.StatsSample) {
	m.ctrs.SetStats(batch)
	seen := make(map[string]bool, len(batch))
	for _, s := range batch {
		seen[s.ID] = true
		r := m.hist[s.ID]
		if r == nil {
			r = engine.NewStatsRing(historyLen)
			m.hist[s.ID] = r
		}
		r.Push(s)
	}
	for id := range m.hist {
		if !seen[id] {
			delete(m.hist, id)
		}
	}
}

func (m *Model) onLogLines(msg logLinesMsg) tea.Cmd {
	if msg.gen != m.logGen {
		return nil
	}
	m.logs.Append(msg.entries)
	if msg.done {
		m.logs.SetEnded(true)
		if msg.err != nil {
			m.setBanner(fmt.Errorf("logs: %w", msg.err))
		}
		return nil
	}
	return waitLogs(msg.gen, msg.ch, msg.errc)
}

func (m *Model) onTick() tea.Cmd {
	m.ticks++
	cmds := []tea.Cmd{tick(), readHostCmd(m.ctx, m.eng)}
	if m.banner != "" && m.now().After(m.bannerUntil) {
		m.banner = ""
	}
	if m.ticks%5 == 0 { // a cheap periodic re-list catches what events miss
		cmds = append(cmds, m.refresh(), m.refreshNetworks())
	}
	if m.ticks%volumeRefreshEvery == 0 && m.panel == panelVolumes { // sizes fill in as walks finish
		cmds = append(cmds, m.refreshVolumes())
	}
	if m.ticks%2 == 0 && m.topKey != "" {
		m.topGen++
		cmds = append(cmds, loadTop(m.ctx, m.eng, m.topKey, m.topGen))
	}
	if m.ticks%xrayEvery == 0 {
		cmds = append(cmds, m.refreshXRay())
	}
	return tea.Batch(cmds...)
}

func (m *Model) setTop(msg topMsg) {
	if msg.err != nil {
		m.pane.SetLines("top:"+msg.key, []string{"  " + msg.err.Error()})
		return
	}
	m.pane.SetHeader(fmt.Sprintf("%-7s %-6s %-8s %5s %8s %8s %s", "PID", "NSPID", "USER", "CPU%", "RSS", "TIME", "COMMAND"))
	lines := make([]string, 0, len(msg.procs))
	for _, p := range msg.procs {
		lines = append(lines, fmt.Sprintf("%-7d %-6d %-8s %5.1f %8s %8s %s", p.PID, p.NSPID, p.User,
			p.CPUPercent, views.HumanBytes(p.RSS), p.CPUTime.Truncate(1e7), views.Sanitize(p.Command)))
	}
	m.pane.SetLines("top:"+msg.key, lines)
}

func (m *Model) setHistory(msg historyMsg) {
	if msg.err != nil {
		m.pane.SetLines("hist:"+msg.key, []string{"  " + msg.err.Error()})
		return
	}
	m.pane.SetHeader(fmt.Sprintf("%-12s %-14s %9s  %s", "IMAGE", "CREATED", "SIZE", "CREATED BY"))
	lines := make([]string, 0, len(msg.entries))
	for _, h := range msg.entries {
		id := h.ID
		if strings.HasPrefix(id, "sha256:") {
			id = id[7:19]
		}
		lines = append(lines, fmt.Sprintf("%-12s %-14s %9s  %s", id, h.Created.UTC().Format("2006-01-02 15:04"),
			views.HumanBytes(uint64(h.Size)), views.Sanitize(h.CreatedBy)))
	}
	m.pane.SetLines("hist:"+msg.key, lines)
}

// jsonLines is v as indented JSON lines.
func jsonLines(v any) []string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return []string{err.Error()}
	}
	return strings.Split(string(b), "\n")
}
