package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// handleMouse maps clicks and the wheel onto the layout: a click on a panel
// name or a tab switches to it, on a list row selects it, in the detail pane
// focuses it; the wheel moves the selection or scrolls the detail pane.
func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	if m.dialog != nil || m.form != nil || m.netForm != nil || m.volForm != nil || m.buildForm != nil || m.build != nil ||
		m.overlay != overlayNone || m.filtering || m.commanding {
		return nil
	}
	mo := msg.Mouse()
	lh := m.listHeight()
	inList := mo.Y >= 1 && mo.Y <= lh
	switch msg.(type) {
	case tea.MouseWheelMsg:
		k := tea.KeyPressMsg{Code: 'j', Text: "j"}
		if mo.Button == tea.MouseWheelUp {
			k = tea.KeyPressMsg{Code: 'k', Text: "k"}
		}
		if inList {
			return m.updateList(k)
		}
		if _, cmd := m.updateDetail(k); cmd != nil {
			return cmd
		}
		return nil
	case tea.MouseClickMsg:
		if mo.Button != tea.MouseLeft {
			return nil
		}
	default:
		return nil
	}
	switch {
	case mo.Y == 0:
		return m.clickPanel(mo.X)
	case inList:
		m.detail = false
		used := false
		switch m.panel {
		case panelContainers:
			used = m.ctrs.ClickRow(mo.Y - 3)
		case panelImages:
			used = m.imgs.ClickRow(mo.Y - 3)
		case panelNetworks:
			used = m.nets.ClickRow(mo.Y - 3)
		default:
			used = m.vols.ClickRow(mo.Y - 3)
		}
		if used {
			return m.syncDetail()
		}
	case mo.Y == lh+1 && !m.compact():
		return m.clickTab(mo.X)
	case mo.Y > lh:
		m.detail = true
	}
	return nil
}

// clickPanel switches to the panel named at column x of the header.
func (m *Model) clickPanel(x int) tea.Cmd {
	names := panelNames
	if m.width < 100 {
		names = shortPanelNames
	}
	pos := len(" berth ")
	for i, n := range names {
		w := len(fmt.Sprintf(" %d %s ", i+1, n))
		if x >= pos && x < pos+w {
			m.panel, m.detail = i, false
			m.filter.SetValue(m.currentFilter())
			return m.syncDetail()
		}
		pos += w
	}
	return nil
}

// clickTab switches to the detail tab at column x of the tab bar.
func (m *Model) clickTab(x int) tea.Cmd {
	tabs := containerTabs[:]
	switch m.panel {
	case panelImages:
		tabs = imageTabs[:]
	case panelNetworks:
		tabs = netTabs[:]
	case panelVolumes:
		tabs = volTabs[:]
	}
	pos := 1
	for i, t := range tabs {
		w := len(t) + 2
		if x >= pos && x < pos+w {
			switch m.panel {
			case panelImages:
				m.iTab = i
			case panelNetworks:
				m.nTab = i
			case panelVolumes:
				m.vTab = i
			default:
				m.cTab = i
			}
			return m.syncDetail()
		}
		pos += w
	}
	return nil
}
