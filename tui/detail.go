package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"berth/engine/inspect"
	"berth/views/containers"
	"berth/views/imagelist"
)

// syncDetail starts, stops or refills the detail pane for the current panel,
// tab and selection: the log stream follows only the selected container while
// its Logs tab shows, and the previous stream is cancelled.
func (m *Model) syncDetail() tea.Cmd {
	var cmds []tea.Cmd
	sel, ok := m.ctrs.Selected()
	onCtr := m.panel == panelContainers && ok
	want := ""
	if onCtr && m.cTab == tabLogs {
		want = sel.ID
	}
	if want != m.logKey {
		m.stopLogs()
		if want != "" {
			m.logKey = want
			ctx, cancel := context.WithCancel(m.ctx)
			m.logCancel = cancel
			m.logs.Reset(sel.Name)
			cmds = append(cmds, startLogs(ctx, m.eng, m.logGen, want))
		}
	}
	wantTop := ""
	if onCtr && m.cTab == tabTop && sel.Running() {
		wantTop = sel.ID
	}
	if wantTop != m.topKey {
		m.topKey = wantTop
		m.topGen++
		if wantTop != "" {
			m.pane.SetHeader("")
			m.pane.SetLines("top:"+wantTop, []string{"  reading processes…"})
			cmds = append(cmds, loadTop(m.ctx, m.eng, wantTop, m.topGen))
		}
	}
	cmds = append(cmds, m.syncXRay(sel, onCtr))
	if onCtr {
		switch m.cTab {
		case tabInspect:
			m.pane.SetHeader("")
			m.pane.SetLines("inspect:"+sel.ID, jsonLines(inspect.ContainerOf(sel.C))) // as berth inspect shows it
		case tabEnv:
			m.pane.SetHeader("")
			m.pane.SetLines("env:"+sel.ID, append([]string(nil), sel.C.Config.Env...))
		case tabPorts:
			m.setPorts(sel)
		case tabTop:
			if !sel.Running() {
				m.pane.SetHeader("")
				m.pane.SetLines("top:"+sel.ID, []string{"  " + sel.Name + " is not running: no processes"})
			}
		}
	}
	cmds = append(cmds, m.syncImageDetail(), m.syncNetDetail())
	m.syncVolDetail()
	if shown := m.panel == panelVolumes; shown != m.volShown {
		m.volShown = shown
		if shown { // sizes may have been computed since the last listing
			cmds = append(cmds, m.refreshVolumes())
		}
	}
	return tea.Batch(cmds...)
}

func (m *Model) syncImageDetail() tea.Cmd {
	img, ok := m.imgs.Selected()
	if m.panel != panelImages || !ok || m.iTab != tabImgAudit {
		m.stopAudit() // the Audit tab is not shown: its layers need not be read
	}
	if m.panel != panelImages || !ok {
		m.histKey = ""
		return nil
	}
	if m.iTab == tabImgInspect {
		m.histKey = ""
		m.pane.SetHeader("")
		if shape, err := inspect.ImageOf(&img); err == nil { // as berth image inspect shows it
			m.pane.SetLines("iinspect:"+img.ID, jsonLines(shape))
		} else {
			m.pane.SetLines("iinspect:"+img.ID, jsonLines(img))
		}
		return nil
	}
	if m.iTab == tabImgAudit {
		return m.syncAudit(img)
	}
	if m.histKey == img.ID || m.opts.Images == nil {
		return nil
	}
	m.histKey = img.ID
	m.pane.SetHeader("")
	m.pane.SetLines("hist:"+img.ID, []string{"  reading history of " + imagelist.Name(img) + "…"})
	return loadHistory(m.ctx, m.opts.Images, img.ID)
}

// stopLogs cancels the log stream; its late messages are dropped by generation.
func (m *Model) stopLogs() {
	if m.logCancel != nil {
		m.logCancel()
		m.logCancel = nil
	}
	m.logKey = ""
	m.logGen++
}

// setPorts fills the Ports tab: the published ports as `berth port` shows them.
func (m *Model) setPorts(sel containers.Row) {
	lines := containers.PortLines(sel.C)
	if len(lines) == 0 {
		lines = []string{"  no published ports — berth run -p 8080:80 … publishes container port 80 on host port 8080"}
	}
	m.pane.SetHeader("")
	m.pane.SetLines("ports:"+sel.ID, lines)
}
