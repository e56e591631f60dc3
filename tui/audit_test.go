package tui

import (
	"berth/engine"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"berth/images/audit"
)

// auditEngine is the fake engine with an image audit.
type auditEngine struct {
	*fakeEngine
	mu    sync.Mutex
	refs  []string
	fs    []audit.Finding
	fails bool
}

func (a *auditEngine) AuditImage(ctx context.Context, ref string) (*engine.Image, []audit.Finding, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refs = append(a.refs, ref)
	if a.fails {
		return nil, nil, errors.New("blob sha256:aa is missing from the store")
	}
	return &engine.Image{ID: ref}, a.fs, nil
}

// openAuditTab shows the Images panel's Audit tab of the first image.
func openAuditTab(t *testing.T, eng Engine) *Model {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := New(ctx, eng, Options{Images: newFakeImages(), Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	settle(m, m.Init())
	m.panel, m.iTab = panelImages, tabImgAudit
	settle(m, m.syncDetail())
	return m
}

func TestImageAuditTab(t *testing.T) {
	a := &auditEngine{fakeEngine: newFakeEngine(t), fs: []audit.Finding{
		{Rule: "RootUser", Level: audit.Warning, Title: "runs as root (no USER)", Reason: "why", Fix: "add USER"},
		{Rule: "NoHealthcheck", Level: audit.Info, Title: "no HEALTHCHECK", Reason: "why", Fix: "add one"},
	}}
	m := openAuditTab(t, a)
	text := strings.Join(m.pane.Lines(), "\n")
	for _, want := range []string{"1 warning(s), 1 note(s)", "WARNING RootUser: runs as root (no USER)", "fix: add USER", "INFO    NoHealthcheck"} {
		if !strings.Contains(text, want) {
			t.Errorf("Audit tab lacks %q:\n%s", want, text)
		}
	}
	img, _ := m.imgs.Selected()
	if len(a.refs) != 1 || a.refs[0] != img.ID {
		t.Errorf("audited %v, want the selected image %s once", a.refs, img.ID)
	}
	settle(m, m.syncDetail()) // a refresh does not audit again
	if len(a.refs) != 1 {
		t.Errorf("audited %d times for one selection", len(a.refs))
	}
	if !strings.Contains(m.Render(), "Audit — pitfalls") {
		t.Error("the detail box is not titled Audit")
	}
	// A late result for another image is dropped.
	m.setAudit(auditMsg{key: "audit:sha256:other", findings: nil})
	if got := strings.Join(m.pane.Lines(), "\n"); !strings.Contains(got, "RootUser") {
		t.Errorf("a stale audit replaced the shown one: %q", got)
	}
}

func TestImageAuditTabErrors(t *testing.T) {
	m := openAuditTab(t, &auditEngine{fakeEngine: newFakeEngine(t), fails: true})
	if got := m.pane.Lines(); len(got) != 1 || got[0] != "  blob sha256:aa is missing from the store" {
		t.Errorf("failed audit shows %q", got)
	}
	m = openAuditTab(t, newFakeEngine(t))
	if got := m.pane.Lines(); len(got) != 1 || !strings.Contains(got[0], "cannot audit") {
		t.Errorf("engine without audit shows %q", got)
	}
}

// blockingAuditor audits only when its context ends, reporting that it did.
type blockingAuditor struct {
	*fakeEngine
	stopped chan error
}

func (b *blockingAuditor) AuditImage(ctx context.Context, ref string) (*engine.Image, []audit.Finding, error) {
	<-ctx.Done()
	b.stopped <- ctx.Err()
	return nil, nil, ctx.Err()
}

func TestImageAuditTabStopsWhenLeft(t *testing.T) {
	b := &blockingAuditor{fakeEngine: newFakeEngine(t), stopped: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := New(ctx, b, Options{Images: newFakeImages(), Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	settle(m, m.Init())
	m.panel, m.iTab = panelImages, tabImgAudit
	cmd := m.syncDetail()
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }() // the audit reads layers until stopped
	m.iTab = tabImgHistory
	settle(m, m.syncDetail())
	if err := <-b.stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("audit ended with %v, want it cancelled", err)
	}
	<-done
	if got := strings.Join(m.pane.Lines(), "\n"); strings.Contains(got, "canceled") {
		t.Errorf("a stopped audit's error is shown: %q", got)
	}
}
