package tui

import (
	"berth/engine"
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"

	"berth/views/buildview"
)

// buildProgressMsg carries the events of build gen that were queued.
type buildProgressMsg struct {
	gen   int
	evs   []engine.BuildEvent
	ch    <-chan engine.BuildEvent
	done  <-chan buildResult
	ended bool
	res   buildResult
}

// buildResult is how a build ended.
type buildResult struct {
	img *engine.Image
	err error
}

// buildQueue is how many events a build may get ahead of the UI before its
// progress callback waits.
const buildQueue = 256

// openBuildForm opens the `b` form (context, Dockerfile, tag).
func (m *Model) openBuildForm() tea.Cmd {
	f, cmd := buildview.NewForm()
	m.buildForm = &f
	return cmd
}

func (m *Model) updateBuildForm(msg tea.Msg) tea.Cmd {
	f, cmd, req, done := m.buildForm.Update(msg)
	m.buildForm = &f
	if !done {
		return cmd
	}
	m.buildForm = nil
	if req == nil {
		return nil
	}
	return m.startBuild(*req)
}

// startBuild runs the build in the background; its events come back one
// batch per message (waitBuild is re-issued by Update) until it ends.
func (m *Model) startBuild(req buildview.Request) tea.Cmd {
	m.logCommand(req.Command())
	ctx, cancel := context.WithCancel(m.ctx)
	m.buildCancel = cancel
	m.buildGen++
	v := buildview.New(req, m.th)
	m.build = &v
	ch := make(chan engine.BuildEvent, buildQueue)
	done := make(chan buildResult, 1)
	go runBuild(ctx, m.eng, req, ch, done)
	return tea.Batch(waitBuild(m.buildGen, ch, done), v.Tick())
}

// runBuild reads the Dockerfile and builds; the engine's progress events go
// to ch (waiting while the UI is behind, until ctx ends), which is closed
// before the result is sent on done.
func runBuild(ctx context.Context, eng Engine, req buildview.Request, ch chan<- engine.BuildEvent, done chan<- buildResult) {
	var mu sync.Mutex
	closed := false
	progress := func(ev engine.BuildEvent) { // called from the build's goroutines
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return
		}
		select {
		case ch <- ev:
		case <-ctx.Done():
		}
	}
	o, err := req.Options()
	var img *engine.Image
	if err == nil {
		img, err = eng.Build(ctx, o, progress)
	}
	mu.Lock()
	closed = true
	close(ch)
	mu.Unlock()
	done <- buildResult{img, err}
}

// waitBuild waits for an event and takes the events already queued with it.
func waitBuild(gen int, ch <-chan engine.BuildEvent, done <-chan buildResult) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return buildProgressMsg{gen: gen, ended: true, res: <-done}
		}
		evs := []engine.BuildEvent{ev}
		for len(evs) < maxBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					return buildProgressMsg{gen: gen, evs: evs, ended: true, res: <-done}
				}
				evs = append(evs, ev)
				continue
			default:
			}
			break
		}
		return buildProgressMsg{gen: gen, evs: evs, ch: ch, done: done}
	}
}

// onBuild applies a batch of events; when the build has ended it shows the
// result (or closes the view after a cancel) and re-lists the images.
func (m *Model) onBuild(msg buildProgressMsg) tea.Cmd {
	if msg.gen != m.buildGen || m.build == nil {
		return nil
	}
	now := m.now()
	for _, ev := range msg.evs {
		m.build.Apply(ev, now)
	}
	if !msg.ended {
		return waitBuild(msg.gen, msg.ch, msg.done)
	}
	m.buildCancel = nil
	if m.build.Cancelling() && msg.res.err != nil { // a build that finished first shows its image
		m.info = "build of " + m.build.Title() + " cancelled; nothing was left behind"
		m.build = nil
		m.buildGen++
		return nil
	}
	m.build.Finish(msg.res.img, msg.res.err)
	if msg.res.err != nil {
		return nil
	}
	m.info = "built " + m.build.Title()
	return m.refreshImages()
}

// buildKey handles a key while the Build view is open: esc cancels a
// running build (the engine removes the step's container and mounts before
// Build returns) or closes a finished one.
func (m *Model) buildKey(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		if m.build.Running() {
			if !m.build.Cancelling() && m.buildCancel != nil {
				m.build.Cancel()
				m.buildCancel()
			}
			return nil
		}
		m.closeBuild()
	case "enter", "q":
		if !m.build.Running() {
			m.closeBuild()
		}
	}
	return nil
}

// closeBuild closes a finished Build view.
func (m *Model) closeBuild() {
	m.build = nil
	m.buildGen++
}

// stopBuild cancels a running build (when the UI quits).
func (m *Model) stopBuild() {
	if m.buildCancel != nil {
		m.buildCancel()
		m.buildCancel = nil
	}
}

// updateBuildSpinner advances the Build view's spinner.
func (m *Model) updateBuildSpinner(msg tea.Msg) tea.Cmd {
	if m.build == nil {
		return nil
	}
	v, cmd := m.build.Update(msg)
	m.build = &v
	return cmd
}
