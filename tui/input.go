package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// handleKey routes a key: dialog, text inputs and overlays first, then the
// focused detail pane, then the global keys and actions, then the list.
func (m *Model) handleKey(k tea.KeyPressMsg) tea.Cmd {
	if key.Matches(k, m.keys.ForceQuit) {
		return m.quit()
	}
	switch {
	case m.dialog != nil:
		return m.updateDialog(k)
	case m.form != nil:
		return m.updateForm(k)
	case m.netForm != nil:
		return m.updateNetForm(k)
	case m.volForm != nil:
		return m.updateVolForm(k)
	case m.buildForm != nil:
		return m.updateBuildForm(k)
	case m.build != nil:
		return m.buildKey(k)
	case m.pull != nil:
		if k.String() == "esc" {
			return m.cancelPull()
		}
		return nil
	case m.filtering || m.commanding:
		return m.handleInput(k)
	case m.overlay != overlayNone:
		return m.updateOverlay(k)
	}
	if m.detail {
		if used, cmd := m.updateDetail(k); used {
			return cmd
		}
	}
	if cmd, used := m.globalKey(k); used {
		return cmd
	}
	if cmd, used := m.actionKey(k); used {
		return cmd
	}
	return m.updateList(k)
}

func (m *Model) quit() tea.Cmd {
	m.stopLogs()
	m.stopBuild()
	return tea.Quit
}

// handleInput feeds the filter or command line.
func (m *Model) handleInput(msg tea.Msg) tea.Cmd {
	k, isKey := msg.(tea.KeyPressMsg)
	if m.commanding {
		if isKey && (k.String() == "esc" || k.String() == "enter") {
			m.commanding = false
			m.command.Blur()
			line := m.command.Value()
			m.command.SetValue("")
			if k.String() == "enter" {
				return m.runCommandLine(line)
			}
			return nil
		}
		var cmd tea.Cmd
		m.command, cmd = m.command.Update(msg)
		return cmd
	}
	if !m.filtering {
		return nil
	}
	if isKey && (k.String() == "esc" || k.String() == "enter") {
		m.filtering = false
		m.filter.Blur()
		if k.String() == "esc" {
			m.filter.SetValue("")
			m.applyFilter("")
		}
		return m.syncDetail()
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	m.applyFilter(m.filter.Value())
	return tea.Batch(cmd, m.syncDetail())
}

func (m *Model) applyFilter(f string) {
	switch m.panel {
	case panelImages:
		m.imgs.SetFilter(f)
	case panelNetworks:
		m.nets.SetFilter(f)
	case panelVolumes:
		m.vols.SetFilter(f)
	default:
		m.ctrs.SetFilter(f)
	}
}

func (m *Model) updateOverlay(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc", "q", "?", "L", "enter":
		m.overlay = overlayNone
		return nil
	}
	switch m.overlay {
	case overlayHelp:
		m.help, _ = m.help.Update(k)
	case overlayCmdLog:
		m.cmdlog, _ = m.cmdlog.Update(k)
	case overlayOutput:
		m.output, _ = m.output.Update(k)
	}
	return nil
}

// updateDetail gives the key to the focused detail pane.
func (m *Model) updateDetail(k tea.KeyPressMsg) (bool, tea.Cmd) {
	if m.panel == panelContainers && m.cTab == tabLogs {
		var cmd tea.Cmd
		var used bool
		m.logs, cmd, used = m.logs.Update(k)
		return used, cmd
	}
	if m.panel == panelContainers && m.cTab == tabStats {
		return false, nil
	}
	var used bool
	m.pane, used = m.pane.Update(k)
	return used, nil
}

func (m *Model) globalKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	km := m.keys
	switch {
	case key.Matches(k, km.Quit):
		return m.quit(), true
	case key.Matches(k, km.Help):
		m.overlay = overlayHelp
	case key.Matches(k, km.CmdLog):
		m.showCmdLog()
	case key.Matches(k, km.Command):
		m.commanding = true
		return m.command.Focus(), true
	case key.Matches(k, km.Filter):
		m.filtering, m.detail = true, false
		return m.filter.Focus(), true
	case key.Matches(k, km.NextPanel), key.Matches(k, km.PrevPanel), key.Matches(k, km.Panel):
		switch {
		case key.Matches(k, km.NextPanel):
			m.panel = (m.panel + 1) % numPanels
		case key.Matches(k, km.PrevPanel):
			m.panel = (m.panel + numPanels - 1) % numPanels
		default:
			m.panel = int(k.String()[0] - '1')
		}
		m.detail = false
		m.filter.SetValue(m.currentFilter())
		return m.syncDetail(), true
	case key.Matches(k, km.NextTab), key.Matches(k, km.PrevTab):
		d := 1
		if key.Matches(k, km.PrevTab) {
			d = -1
		}
		switch m.panel {
		case panelImages:
			m.iTab = (m.iTab + d + numImageTabs) % numImageTabs
		case panelNetworks:
			m.nTab = (m.nTab + d + numNetTabs) % numNetTabs
		case panelVolumes:
			m.vTab = (m.vTab + d + numVolTabs) % numVolTabs
		default:
			m.cTab = (m.cTab + d + numContainerTabs) % numContainerTabs
		}
		return m.syncDetail(), true
	case key.Matches(k, km.Detail):
		m.detail = true
	case key.Matches(k, km.List):
		if !m.detail && k.String() == "esc" && m.currentFilter() != "" {
			m.filter.SetValue("")
			m.applyFilter("")
			return m.syncDetail(), true
		}
		m.detail = false
	default:
		return nil, false
	}
	return nil, true
}

func (m *Model) currentFilter() string {
	switch m.panel {
	case panelImages:
		return m.imgs.Filter()
	case panelNetworks:
		return m.nets.Filter()
	case panelVolumes:
		return m.vols.Filter()
	}
	return m.ctrs.Filter()
}

// updateList moves in the focused list and follows the new selection.
func (m *Model) updateList(k tea.KeyPressMsg) tea.Cmd {
	page := max(m.listHeight()-3, 1)
	var used bool
	switch m.panel {
	case panelContainers:
		m.ctrs, used = m.ctrs.Update(k, page)
	case panelImages:
		m.imgs, used = m.imgs.Update(k, page)
	case panelNetworks:
		m.nets, used = m.nets.Update(k, page)
	case panelVolumes:
		m.vols, used = m.vols.Update(k, page)
	}
	if !used {
		return nil
	}
	return m.syncDetail()
}
