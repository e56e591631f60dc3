package tui

import (
	"berth/engine"
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"berth/views/auditview"
	"berth/views/imagelist"
)

// imageAuditor is an engine that audits images (*engine.Engine).
type imageAuditor interface {
	AuditImage(ctx context.Context, ref string) (*engine.Image, []engine.AuditFinding, error)
}

// auditMsg carries an image's findings for the Audit tab.
type auditMsg struct {
	key      string
	findings []engine.AuditFinding
	err      error
}

// syncAudit fills the Audit tab for img, reading its layers in the background
// once per selection.
func (m *Model) syncAudit(img engine.Image) tea.Cmd {
	key := "audit:" + img.ID
	if m.histKey == key {
		return nil
	}
	m.histKey = key
	m.stopAudit()
	m.pane.SetHeader("")
	a, ok := m.eng.(imageAuditor)
	if !ok {
		m.pane.SetLines(key, []string{"  this engine cannot audit images"})
		return nil
	}
	m.pane.SetLines(key, []string{"  auditing " + imagelist.Name(img) + ": reading every layer…"})
	ctx, cancel := context.WithCancel(m.ctx)
	m.auditStop = cancel
	return func() tea.Msg {
		defer cancel()
		_, fs, err := a.AuditImage(ctx, img.ID)
		return auditMsg{key: key, findings: fs, err: err}
	}
}

// stopAudit cancels an audit still reading layers for an earlier selection.
func (m *Model) stopAudit() {
	if m.auditStop != nil {
		m.auditStop()
		m.auditStop = nil
	}
}

// setAudit shows an audit's findings, or its error, when still wanted.
func (m *Model) setAudit(msg auditMsg) {
	if msg.key != m.histKey || errors.Is(msg.err, context.Canceled) {
		return // a later selection's, or one stopped (a new audit of this image runs)
	}
	if msg.err != nil {
		m.pane.SetLines(msg.key, []string{"  " + msg.err.Error()})
		return
	}
	m.pane.SetLines(msg.key, auditview.Lines(msg.findings, m.width))
}
