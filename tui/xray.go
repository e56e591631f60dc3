package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/engine/xray"
	"berth/views/containers"
	xrayview "berth/views/xray"
)

// xrayMsg carries one X-ray of the container key under generation gen.
type xrayMsg struct {
	key string
	gen int
	r   xray.Report
	err error
}

// xrayEvery is how often the visible X-ray tab is refreshed, in clock ticks.
const xrayEvery = 2

// xrayTimeout bounds one X-ray (the walk of a large upperdir).
const xrayTimeout = 5 * time.Second

// defaultXRay x-rays through the engine's API.
func defaultXRay(eng Engine) func(context.Context, *engine.Container) (xray.Report, error) {
	return func(ctx context.Context, c *engine.Container) (xray.Report, error) {
		return eng.XRay(ctx, c.ID)
	}
}

// loadXRay x-rays container c in a command.
func loadXRay(ctx context.Context, fn func(context.Context, *engine.Container) (xray.Report, error), c *engine.Container, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, xrayTimeout)
		defer cancel()
		r, err := fn(ctx, c)
		return xrayMsg{key: c.ID, gen: gen, r: r, err: err}
	}
}

// syncXRay starts or stops the X-ray refresh for the selection.
func (m *Model) syncXRay(sel containers.Row, onCtr bool) tea.Cmd {
	want := ""
	if onCtr && m.cTab == tabXray {
		want = sel.ID
	}
	if want == m.xrayKey {
		return nil
	}
	m.xrayKey = want
	m.xrayGen++
	if want == "" {
		return nil
	}
	m.pane.SetHeader("")
	if !sel.Running() {
		m.xrayKey = ""
		m.pane.SetLines("xray:"+sel.ID, []string{"  " + sel.Name + " is not running: the X-ray shows a live process's namespaces, cgroup and mounts"})
		return nil
	}
	m.pane.SetLines("xray:"+sel.ID, xrayview.Lines(m.th, nil, nil, m.width-2))
	return loadXRay(m.ctx, m.opts.XRay, sel.C, m.xrayGen)
}

// refreshXRay re-reads the X-ray shown (from the clock).
func (m *Model) refreshXRay() tea.Cmd {
	sel, ok := m.ctrs.Selected()
	if m.xrayKey == "" || !ok || sel.ID != m.xrayKey {
		return nil
	}
	m.xrayGen++
	return loadXRay(m.ctx, m.opts.XRay, sel.C, m.xrayGen)
}

func (m *Model) onXRay(msg xrayMsg) {
	if msg.key != m.xrayKey || msg.gen != m.xrayGen {
		return
	}
	m.pane.SetHeader("")
	m.pane.SetLines("xray:"+msg.key, xrayview.Lines(m.th, &msg.r, msg.err, m.width-2))
}
