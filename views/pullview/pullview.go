// Package pullview draws an image pull in progress: one progress bar per
// layer (bubbles progress), fed with the image store's progress events.
package pullview

import (
	"berth/engine"
	"fmt"
	"image/color"

	"charm.land/bubbles/v2/progress"
	"charm.land/lipgloss/v2"

	"berth/views"
)

// row is the last known state of one layer.
type row struct {
	status     string
	cur, total int64
}

// Model is one pull.
type Model struct {
	ref   string
	order []string
	rows  map[string]*row
	done  bool
	bar   progress.Model
}

// New starts the view of a pull of ref.
func New(ref string, noColor bool) Model {
	opts := []progress.Option{progress.WithoutPercentage(), progress.WithFillCharacters('█', '░')}
	if noColor {
		var none color.Color = lipgloss.NoColor{}
		opts = append(opts, progress.WithColors(none))
	} else {
		opts = append(opts, progress.WithColors(lipgloss.Color("6")))
	}
	return Model{ref: ref, rows: map[string]*row{}, bar: progress.New(opts...)}
}

// Ref is the reference being pulled.
func (m Model) Ref() string { return m.ref }

// Apply records one progress event.
func (m *Model) Apply(p engine.PullProgress) {
	if p.Status == "Pull complete" {
		m.done = true
		for _, r := range m.rows {
			if r.status == "Download complete" || r.status == "Downloading" {
				r.status, r.cur = "Pull complete", r.total
			}
		}
		return
	}
	r, ok := m.rows[p.ID]
	if !ok {
		r = &row{}
		m.rows[p.ID] = r
		m.order = append(m.order, p.ID)
	}
	r.status, r.cur, r.total = p.Status, p.Current, p.Total
	if r.status == "Download complete" || r.status == "Already exists" {
		r.cur = max(r.cur, r.total)
	}
}

// View draws the pull as a box at most width cells wide and height lines high.
func (m Model) View(th views.Theme, width, height int) string {
	w := min(width, 90)
	barW := max(w-52, 10)
	m.bar.SetWidth(barW)
	lines := []string{""}
	if len(m.order) == 0 {
		lines = append(lines, th.Dim.Render(" resolving "+m.ref+"…"))
	}
	shown := m.order
	if room := height - 7; room > 0 && len(shown) > room {
		shown = shown[len(shown)-room:]
	}
	for _, id := range shown {
		r := m.rows[id]
		pct := 0.0
		if r.total > 0 {
			pct = min(float64(r.cur)/float64(r.total), 1)
		}
		size := ""
		if r.total > 0 {
			size = views.HumanBytes(uint64(max(r.cur, 0))) + "/" + views.HumanBytes(uint64(r.total))
		}
		lines = append(lines, fmt.Sprintf(" %-12s %-17s ", views.Sanitize(id), views.Sanitize(r.status))+
			m.bar.ViewAs(pct)+" "+th.Dim.Render(size))
	}
	lines = append(lines, "", " "+th.Key.Render("esc")+" cancel (nothing is left behind)")
	return views.Box(th, "Pulling "+m.ref, lines, w, min(len(lines)+2, max(height, 4)), true)
}
