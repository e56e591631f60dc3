package tui

import (
	"berth/engine"
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"berth/views/dialog"
	"berth/views/pullview"
)

// pullProgressMsg carries the progress events of pull gen that were queued.
type pullProgressMsg struct {
	gen   int
	evs   []engine.PullProgress
	ch    <-chan engine.PullProgress
	done  <-chan pullResult
	ended bool
	res   pullResult
}

// pullResult is how a pull ended.
type pullResult struct {
	img *engine.Image
	err error
}

// askPull prompts for the reference to pull.
func (m *Model) askPull() tea.Cmd {
	if m.opts.Images == nil {
		return nil
	}
	d, cmd := dialog.NewPrompt("Pull an image (e.g. busybox, alpine:3.20, 127.0.0.1:5000/app)", "", engine.ValidateImageReference)
	m.openDialog(d, pending{verb: "pull"})
	return cmd
}

// startPull runs the pull in the background; its progress events come back
// one batch per message (waitPull is re-issued by Update) until it ends or
// esc cancels it.
func (m *Model) startPull(ref string) tea.Cmd {
	m.logCommand("berth pull " + ref)
	ctx, cancel := context.WithCancel(m.ctx)
	m.pullCancel = cancel
	m.pullGen++
	v := pullview.New(ref, m.opts.NoColor)
	m.pull = &v
	ch := make(chan engine.PullProgress, 64)
	done := make(chan pullResult, 1)
	st := m.opts.Images
	go func() {
		img, err := st.Pull(ctx, ref, engine.PullOptions{Progress: ch})
		close(ch) // Pull has returned: nothing sends any more
		done <- pullResult{img, err}
	}()
	return waitPull(m.pullGen, ch, done)
}

// waitPull waits for progress and takes the events already queued with it.
func waitPull(gen int, ch <-chan engine.PullProgress, done <-chan pullResult) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-ch
		if !ok {
			return pullProgressMsg{gen: gen, ended: true, res: <-done}
		}
		evs := []engine.PullProgress{p}
		for len(evs) < maxBatch {
			select {
			case p, ok := <-ch:
				if !ok {
					return pullProgressMsg{gen: gen, evs: evs, ended: true, res: <-done}
				}
				evs = append(evs, p)
				continue
			default:
			}
			break
		}
		return pullProgressMsg{gen: gen, evs: evs, ch: ch, done: done}
	}
}

func (m *Model) onPull(msg pullProgressMsg) tea.Cmd {
	if msg.gen != m.pullGen || m.pull == nil {
		return nil
	}
	for _, p := range msg.evs {
		m.pull.Apply(p)
	}
	if !msg.ended {
		return waitPull(msg.gen, msg.ch, msg.done)
	}
	ref := m.pull.Ref()
	m.stopPull()
	if msg.res.err != nil {
		m.setBanner(fmt.Errorf("pull %s: %w", ref, msg.res.err))
	} else {
		m.info = "pulled " + ref
	}
	return m.refreshImages()
}

// cancelPull stops the pull in progress (esc); the store removes what it fetched.
func (m *Model) cancelPull() tea.Cmd {
	ref := m.pull.Ref()
	m.stopPull()
	m.info = "pull of " + ref + " cancelled"
	return nil
}

func (m *Model) stopPull() {
	if m.pullCancel != nil {
		m.pullCancel()
		m.pullCancel = nil
	}
	m.pull = nil
	m.pullGen++
}
