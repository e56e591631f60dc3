// Package imagelist is the images panel: a filterable table of the image
// store's images (tags, ID, age, size, layers) with a cursor and marks.
package imagelist

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/docker/go-units"

	"berth/images"
	"berth/views"
	"berth/views/containers"
)

// Model is the images table.
type Model struct {
	imgs   []images.Image
	view   []int
	cursor int
	offset int
	filter string
	marks  map[string]bool
	keys   containers.KeyMap
}

// New returns an empty table.
func New() Model { return Model{marks: map[string]bool{}, keys: containers.Keys()} }

// Name is the image's first tag, or "<none>".
func Name(img images.Image) string {
	if len(img.RepoTags) > 0 {
		return img.RepoTags[0]
	}
	return "<none>:<none>"
}

// ShortID is the first 12 hex digits of an image ID.
func ShortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	return id[:min(12, len(id))]
}

// SetImages replaces the rows, keeping the cursor on the same image.
func (m *Model) SetImages(imgs []images.Image) {
	sel, _ := m.Selected()
	m.imgs = imgs
	seen := map[string]bool{}
	for _, i := range imgs {
		seen[i.ID] = true
	}
	for id := range m.marks {
		if !seen[id] {
			delete(m.marks, id)
		}
	}
	m.rebuild(sel.ID)
}

// SetFilter filters rows fuzzily on tags and ID.
func (m *Model) SetFilter(f string) {
	sel, _ := m.Selected()
	m.filter = f
	m.rebuild(sel.ID)
}

// Filter returns the current filter.
func (m Model) Filter() string { return m.filter }

func (m *Model) rebuild(id string) {
	m.view = m.view[:0]
	for i, img := range m.imgs {
		if _, ok := views.FuzzyScore(m.filter, strings.Join(img.RepoTags, " ")+" "+ShortID(img.ID)); ok {
			m.view = append(m.view, i)
			if img.ID == id && id != "" {
				m.cursor = len(m.view) - 1
			}
		}
	}
	m.cursor = min(max(m.cursor, 0), max(len(m.view)-1, 0))
}

// Selected returns the image under the cursor.
func (m Model) Selected() (images.Image, bool) {
	if m.cursor < 0 || m.cursor >= len(m.view) {
		return images.Image{}, false
	}
	return m.imgs[m.view[m.cursor]], true
}

// Targets returns the marked images, or the selected one.
func (m Model) Targets() []images.Image {
	var out []images.Image
	for _, i := range m.view {
		if m.marks[m.imgs[i].ID] {
			out = append(out, m.imgs[i])
		}
	}
	if len(out) == 0 {
		if img, ok := m.Selected(); ok {
			out = append(out, img)
		}
	}
	return out
}

// Len is the number of images shown.
func (m Model) Len() int { return len(m.view) }

// Update handles the table's keys; it reports whether it used the key.
func (m Model) Update(msg tea.KeyPressMsg, page int) (Model, bool) {
	k := m.keys
	last := max(len(m.view)-1, 0)
	switch {
	case key.Matches(msg, k.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(msg, k.Down):
		m.cursor = min(m.cursor+1, last)
	case key.Matches(msg, k.Top):
		m.cursor = 0
	case key.Matches(msg, k.Bottom):
		m.cursor = last
	case key.Matches(msg, k.PageUp):
		m.cursor = max(m.cursor-page, 0)
	case key.Matches(msg, k.PageDown):
		m.cursor = min(m.cursor+page, last)
	case key.Matches(msg, k.Mark):
		if img, ok := m.Selected(); ok {
			m.marks[img.ID] = !m.marks[img.ID]
			if !m.marks[img.ID] {
				delete(m.marks, img.ID)
			}
			m.cursor = min(m.cursor+1, last)
		}
	default:
		return m, false
	}
	return m, true
}

var columns = []views.Column{
	{Title: "REPOSITORY:TAG", Width: 16, Grow: true},
	{Title: "IMAGE ID", Width: 12},
	{Title: "CREATED", Width: 14, HideBelow: 56},
	{Title: "SIZE", Width: 9, Right: true},
	{Title: "LAYERS", Width: 6, Right: true, HideBelow: 70},
}

// View draws the table in a box.
func (m *Model) View(th views.Theme, width, height int, focused bool, now time.Time) string {
	inner := width - 2
	ws := views.ColumnWidths(columns, inner)
	hdr := make([]string, len(columns))
	for i, c := range columns {
		hdr[i] = c.Title
	}
	lines := []string{th.Header.Render(views.TableRow(columns, ws, hdr))}
	if len(m.view) == 0 {
		lines = append(lines, th.Dim.Render("  no images — try  :image bootstrap busybox"))
	}
	rowsH := height - 3
	m.offset = views.Window(m.cursor, m.offset, rowsH, len(m.view))
	for vi := m.offset; vi < len(m.view) && vi < m.offset+rowsH; vi++ {
		img := m.imgs[m.view[vi]]
		name := " " + Name(img)
		if m.marks[img.ID] {
			name = th.Marked.Render("✓" + Name(img))
		}
		created := units.HumanDuration(now.Sub(img.Created)) + " ago"
		line := views.TableRow(columns, ws, []string{name, ShortID(img.ID), created,
			views.HumanBytes(uint64(img.Size)), fmt.Sprint(len(img.Layers))})
		switch {
		case vi == m.cursor && focused:
			line = views.Highlight(th, line)
		case vi == m.cursor:
			line = th.Title.Render(">") + ansi.Cut(line, 1, inner)
		}
		lines = append(lines, line)
	}
	title := fmt.Sprintf("Images %d", len(m.view))
	if m.filter != "" {
		title += " /" + m.filter
	}
	return views.Box(th, title, lines, width, height, focused)
}

// ClickRow moves the cursor to the row-th visible data row (from 0); it
// reports whether a row was there.
func (m *Model) ClickRow(row int) bool {
	i := m.offset + row
	if row < 0 || i >= len(m.view) {
		return false
	}
	m.cursor = i
	return true
}
