// Package imagelist is the images panel: a filterable table of the image
// store's images (tags, ID, age, size, layers) with a cursor and marks.
package imagelist

import (
	"berth/engine"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/docker/go-units"

	"berth/views"
	"berth/views/containers"
)

// Model is the images table.
type Model struct {
	list views.List[engine.Image]
	keys containers.KeyMap
}

// New returns an empty table.
func New() Model {
	return Model{list: views.NewList(func(img engine.Image) string { return img.ID }, filterText), keys: containers.Keys()}
}

// filterText is what the filter matches: tags and short ID.
func filterText(img engine.Image) string {
	return strings.Join(img.RepoTags, " ") + " " + ShortID(img.ID)
}

// Name is the image's first tag, or "<none>".
func Name(img engine.Image) string {
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
func (m *Model) SetImages(imgs []engine.Image) { m.list.SetRows(imgs) }

// SetFilter filters rows fuzzily on tags and ID.
func (m *Model) SetFilter(f string) { m.list.SetFilter(f) }

// Filter returns the current filter.
func (m Model) Filter() string { return m.list.Filter() }

// Selected returns the image under the cursor.
func (m Model) Selected() (engine.Image, bool) { return m.list.Selected() }

// Targets returns the marked images, or the selected one.
func (m Model) Targets() []engine.Image { return m.list.Targets() }

// Len is the number of images shown.
func (m Model) Len() int { return m.list.Len() }

// Update handles the table's keys; it reports whether it used the key.
func (m Model) Update(msg tea.KeyPressMsg, page int) (Model, bool) {
	if key.Matches(msg, m.keys.Mark) {
		m.list.ToggleMark()
		return m, true
	}
	ok := m.list.Navigate(msg, m.keys.Nav(), page)
	return m, ok
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
	title := views.CountTitle("Images", m.list.Len(), m.list.Filter())
	return m.list.Box(th, columns, title, "  no images — try  :image bootstrap busybox", width, height, focused,
		func(img engine.Image) []string {
			name := " " + Name(img)
			if m.list.Marked(img) {
				name = th.Marked.Render("✓" + Name(img))
			}
			created := units.HumanDuration(now.Sub(img.Created)) + " ago"
			return []string{name, ShortID(img.ID), created, views.HumanBytes(uint64(img.Size)), fmt.Sprint(len(img.Layers))}
		})
}

// ClickRow moves the cursor to the row-th visible data row (from 0); it
// reports whether a row was there.
func (m *Model) ClickRow(row int) bool { return m.list.ClickRow(row) }
