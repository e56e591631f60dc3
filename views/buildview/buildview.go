// Package buildview draws an image build from the Images panel: the form
// that starts one (context directory, Dockerfile, tag) and the build as it
// runs, fed with the engine's typed build events — one line per step with
// its instruction, a spinner while it runs, CACHED or its duration when done,
// the newest lines of each running RUN step's output (a bounded buffer per
// step), the error naming the Dockerfile line when a step fails, and the
// image ID and tag at the end.
//
// The view owns no goroutine and does no I/O except Request.Options, which
// the caller runs in a command.
package buildview

import (
	"berth/engine"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"berth/views"
)

// MaxOutput is how many lines of output each step keeps (the newest).
const MaxOutput = 100

// maxLineBytes bounds one kept output line, so a 90k-character line costs
// no more than a short one.
const maxLineBytes = 1024

// state is where a step is.
type state int

const (
	running state = iota
	cached
	done
	failed
)

// step is the last known state of one step.
type step struct {
	id          int
	stage       string
	n, total    int
	instruction string
	state       state
	started     time.Time
	dur         time.Duration
	out         []string // the newest MaxOutput lines
	dropped     int      // older lines no longer kept
}

// addLine keeps line, dropping the oldest once MaxOutput are kept.
func (s *step) addLine(line string) {
	if len(line) > maxLineBytes {
		line = strings.ToValidUTF8(line[:maxLineBytes], "") + "…"
	}
	if len(s.out) == MaxOutput {
		copy(s.out, s.out[1:])
		s.out[len(s.out)-1] = line
		s.dropped++
		return
	}
	s.out = append(s.out, line)
}

// Model is one build.
type Model struct {
	title      string
	tags       []string
	steps      []*step
	byID       map[int]*step
	stages     map[string]bool
	warnings   []string
	err        string
	img        *engine.Image
	ended      bool
	cancelling bool
	spin       spinner.Model
}

// New starts the view of the build r asked for.
func New(r Request, th views.Theme) Model {
	sp := spinner.Spinner{Frames: spinner.MiniDot.Frames, FPS: time.Second / 5}
	var tags []string
	if r.Tag != "" {
		tags = []string{r.Tag}
	}
	return Model{title: r.Title(), tags: tags, byID: map[int]*step{}, stages: map[string]bool{},
		spin: spinner.New(spinner.WithSpinner(sp), spinner.WithStyle(th.Info))}
}

// Title names the build.
func (m Model) Title() string { return m.title }

// Running reports whether the build has not ended yet.
func (m Model) Running() bool { return !m.ended }

// Tick starts the spinner.
func (m Model) Tick() tea.Cmd { return m.spin.Tick }

// Update advances the spinner while the build runs.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if _, ok := msg.(spinner.TickMsg); !ok || m.ended {
		return m, nil
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return m, cmd
}

// Apply records one build event that arrived at now.
func (m *Model) Apply(ev engine.BuildEvent, now time.Time) {
	if ev.Kind == engine.BuildWarning {
		m.warnings = append(m.warnings, views.Sanitize(ev.Output))
		return
	}
	if ev.Kind == engine.BuildStageStarted || ev.Kind == engine.BuildStepContainer {
		return // the view draws steps only
	}
	s, ok := m.byID[ev.ID]
	if !ok {
		s = &step{id: ev.ID, stage: ev.Stage, n: ev.Step, total: ev.Total,
			instruction: oneLine(ev.Instruction), started: now}
		m.byID[ev.ID] = s
		m.steps = append(m.steps, s)
		m.stages[ev.Stage] = true
	}
	switch ev.Kind {
	case engine.BuildStepStarted:
		s.state, s.started = running, now
	case engine.BuildStepOutput:
		s.addLine(views.Sanitize(ev.Output))
	case engine.BuildStepCached:
		s.state = cached
	case engine.BuildStepDone:
		s.state, s.dur = done, ev.Duration
	case engine.BuildStepError:
		s.state = failed
		if ev.Err != nil {
			m.err = ev.Err.Error()
		}
	}
}

// Cancel marks the build as being cancelled (its step's container is being
// removed).
func (m *Model) Cancel() { m.cancelling = true }

// Cancelling reports whether Cancel was called.
func (m Model) Cancelling() bool { return m.cancelling }

// Finish records how the build ended: the image, or the error (kept when a
// step already reported one).
func (m *Model) Finish(img *engine.Image, err error) {
	m.ended, m.img = true, img
	if err != nil && m.err == "" {
		m.err = err.Error()
	}
	for _, s := range m.steps {
		if s.state == running && err != nil {
			s.state = failed
		}
	}
}

// oneLine folds a multi-line instruction (continuations, heredocs) into one
// line for its step's row.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\\\n", " ") // line continuations
	return strings.Join(strings.Fields(views.Sanitize(strings.ReplaceAll(s, "\n", " "))), " ")
}

// label is a step's "[stage n/total]", the stage left out while the build
// has only one.
func (m Model) label(s *step) string {
	if len(m.stages) > 1 {
		return fmt.Sprintf("[%s %d/%d]", s.stage, s.n, s.total)
	}
	return fmt.Sprintf("[%d/%d]", s.n, s.total)
}

// stepLine draws a step's row: marker, label, instruction and, on the
// right, CACHED, its duration, ERROR or the time it has been running.
func (m Model) stepLine(th views.Theme, s *step, w int, now time.Time) string {
	var mark, right string
	switch s.state {
	case running:
		mark, right = m.spin.View(), th.Dim.Render(fmt.Sprintf("%.1fs", now.Sub(s.started).Seconds()))
		if m.ended {
			mark = th.Dim.Render("·")
		}
	case cached:
		mark, right = th.OK.Render("✓"), th.Info.Render("CACHED")
	case done:
		mark, right = th.OK.Render("✓"), fmt.Sprintf("%.1fs", s.dur.Seconds())
	case failed:
		mark, right = th.Bad.Render("✗"), th.Bad.Render("ERROR")
	}
	left := " " + mark + " " + th.Dim.Render(m.label(s)) + " " + s.instruction
	return views.Fit(left, w-10) + views.FitLeft(right, 7) + " "
}

// block is one step's lines: its row and, while it runs or after it
// failed, the newest lines of its output.
type block struct {
	lines  []string
	active bool
}

func (m Model) blocks(th views.Theme, w, outCap int, now time.Time) []block {
	out := make([]block, 0, len(m.steps))
	for _, s := range m.steps {
		b := block{lines: []string{m.stepLine(th, s, w, now)}, active: s.state == running || s.state == failed}
		if b.active && len(s.out) > 0 {
			shown := s.out[max(len(s.out)-outCap, 0):]
			if hidden := s.dropped + len(s.out) - len(shown); hidden > 0 {
				b.lines = append(b.lines, th.Dim.Render(fmt.Sprintf("     │ … %d earlier line(s)", hidden)))
			}
			for _, l := range shown {
				b.lines = append(b.lines, th.Dim.Render("     │ ")+views.Fit(l, w-9))
			}
		}
		out = append(out, b)
	}
	return out
}

// fitBlocks drops the oldest finished steps (then any) until the rest fit
// in room lines, and says how many went.
func fitBlocks(bs []block, room int) []string {
	total := 0
	for _, b := range bs {
		total += len(b.lines)
	}
	dropped := 0
	for _, activeToo := range []bool{false, true} {
		for i := 0; i < len(bs) && total > room; i++ {
			if bs[i].lines == nil || bs[i].active && !activeToo {
				continue
			}
			if dropped == 0 {
				total++ // the "… earlier steps" line
			}
			total -= len(bs[i].lines)
			bs[i].lines = nil
			dropped++
		}
	}
	var lines []string
	if dropped > 0 {
		lines = append(lines, fmt.Sprintf("   … %d earlier step(s)", dropped))
	}
	for _, b := range bs {
		lines = append(lines, b.lines...)
	}
	return lines
}

// tail is what follows the steps: warnings, the result and the keys.
func (m Model) tail(th views.Theme, w int) []string {
	var body []string
	for _, wn := range m.warnings {
		body = append(body, th.Warn.Render(views.Fit(" ! "+wn, w-2)))
	}
	switch {
	case m.ended && m.err == "" && m.img != nil:
		res := " " + th.OK.Render("✓") + " built " + shortID(m.img.ID)
		if len(m.tags) > 0 { // the image's other tags are older
			res += ", tagged " + strings.Join(m.tags, ", ")
		}
		body = append(body, views.Fit(res, w-2))
	case m.err != "" && !m.cancelling:
		for _, l := range views.Wrap(views.Sanitize(m.err), w-5) {
			body = append(body, " "+th.Bad.Render(views.Fit(" "+l, w-3)))
		}
	case m.cancelling:
		body = append(body, th.Warn.Render(" cancelling: removing the step's container and mounts…"))
	case len(m.steps) == 0:
		body = append(body, th.Dim.Render(" reading the context…"))
	}
	lines := []string{""}
	if len(body) > 0 {
		lines = append(append(lines, body...), "")
	}
	if m.ended {
		return append(lines, " "+th.Key.Render("esc")+" close")
	}
	return append(lines, " "+th.Key.Render("esc")+" cancel (nothing is left behind)")
}

// shortID is an image ID's first 12 hex digits.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	return id[:min(len(id), 12)]
}

// View draws the build as a box at most width cells wide and height lines
// high; now times the running steps.
func (m Model) View(th views.Theme, width, height int, now time.Time) string {
	w := min(width, 110)
	tail := m.tail(th, w)
	room := max(height-2-len(tail)-1, 3)
	active := 0
	for _, s := range m.steps {
		if s.state == running || s.state == failed {
			active++
		}
	}
	// Each active step shows as much output as fits beside the step rows.
	outCap := min(max((room-len(m.steps)-active)/max(active, 1), 2), 12)
	lines := append([]string{""}, fitBlocks(m.blocks(th, w, outCap, now), room)...)
	lines = append(lines, tail...)
	title := "Building " + m.title
	if m.ended {
		title = "Build of " + m.title
	}
	return views.Box(th, title, lines, w, min(len(lines)+2, max(height, 4)), true)
}
