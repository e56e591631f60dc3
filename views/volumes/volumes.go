// Package volumes is the volumes panel: a table of berth's local volumes
// (name, driver, mountpoint, size, users, age) with a cursor, the detail pages
// (inspect as `berth volume inspect` prints it, and the containers that mount
// the volume and where) and the `n` form that creates one. The data comes
// from the router, which reads the volume store in a command; this package
// only keeps state and draws.
package volumes

import (
	"fmt"
	"sort"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/docker/go-units"

	"berth/engine"
	"berth/views"
	"berth/views/containers"
)

// Row is one volume and its size as far as it is known.
type Row struct {
	// Vol is the volume as the store keeps it.
	Vol engine.Volume
	// Size is the apparent size of its data in bytes, valid when SizeKnown.
	Size      int64
	SizeKnown bool
}

// Model is the volumes table.
type Model struct {
	list views.List[Row]
	keys containers.KeyMap
}

// New returns an empty table.
func New() Model {
	return Model{list: views.NewList(func(r Row) string { return r.Vol.Name }, filterText), keys: containers.Keys()}
}

// filterText is what the filter matches: name, driver and labels.
func filterText(r Row) string {
	text := r.Vol.Name + " " + r.Vol.Driver
	for k, v := range r.Vol.Labels {
		text += " " + k + "=" + v
	}
	return text
}

// SetRows replaces the rows, keeping the cursor on the same volume.
func (m *Model) SetRows(rows []Row) { m.list.SetRows(rows) }

// Rows returns every volume (unfiltered).
func (m Model) Rows() []Row { return m.list.Rows() }

// SetFilter filters rows fuzzily on name, driver and labels.
func (m *Model) SetFilter(f string) { m.list.SetFilter(f) }

// Filter returns the current filter.
func (m Model) Filter() string { return m.list.Filter() }

// Selected returns the volume under the cursor.
func (m Model) Selected() (Row, bool) { return m.list.Selected() }

// Update handles the table's keys; it reports whether it used the key.
func (m Model) Update(msg tea.KeyPressMsg, page int) (Model, bool) {
	ok := m.list.Navigate(msg, m.keys.Nav(), page)
	return m, ok
}

// ClickRow moves the cursor to the row-th visible data row (from 0); it
// reports whether a row was there.
func (m *Model) ClickRow(row int) bool { return m.list.ClickRow(row) }

var columns = []views.Column{
	{Title: "NAME", Width: 20, Grow: true},
	{Title: "DRIVER", Width: 6, HideBelow: 64},
	{Title: "MOUNTPOINT", Width: 50, Grow: true, HideBelow: 100},
	{Title: "SIZE", Width: 8, Right: true},
	{Title: "USERS", Width: 5, Right: true},
	{Title: "CREATED", Width: 14, HideBelow: 56},
}

// View draws the table in a box.
func (m *Model) View(th views.Theme, width, height int, focused bool, now time.Time) string {
	f := m.list.Filter()
	empty := views.FilterEmpty("  no volumes yet — berth run -v data:/data … makes one; n creates one", f)
	return m.list.Box(th, columns, views.CountTitle("Volumes", m.list.Len(), f), empty, width, height, focused,
		func(r Row) []string { return cells(th, r, now) })
}

// ShortName is a volume's name for the table: anonymous volumes' 64-hex
// names cut to 12 characters.
func ShortName(v engine.Volume) string {
	if v.Anonymous && len(v.Name) > 12 {
		return v.Name[:12] + "…"
	}
	return v.Name
}

func cells(th views.Theme, r Row, now time.Time) []string {
	v := r.Vol
	size := th.Dim.Render("…")
	if r.SizeKnown {
		size = views.HumanBytes(uint64(max(r.Size, 0)))
	}
	users := fmt.Sprint(len(v.UsedBy))
	if len(v.UsedBy) == 0 {
		users = th.Dim.Render("0")
	}
	created := "-"
	if !v.CreatedAt.IsZero() {
		created = units.HumanDuration(now.Sub(v.CreatedAt)) + " ago"
	}
	name := views.Sanitize(ShortName(v))
	if v.Anonymous {
		name = th.Dim.Render(name)
	}
	return []string{" " + name, v.Driver, v.Mountpoint, size, users, created}
}

// Use is one container's mount of a volume.
type Use struct {
	// Container is the container's name; State its state.
	Container, State string
	// Mount is the mount of the volume in it.
	Mount engine.MountPoint
}

// UsesOf finds the containers among cs that mount the volume name, sorted by
// container name then destination.
func UsesOf(name string, cs []*engine.Container) []Use {
	var out []Use
	for _, c := range cs {
		for _, mp := range c.Mounts {
			if mp.Type == "volume" && mp.Name == name {
				out = append(out, Use{Container: trimSlash(c.Name), State: c.State.Status, Mount: mp})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Container != out[j].Container {
			return out[i].Container < out[j].Container
		}
		return out[i].Mount.Destination < out[j].Mount.Destination
	})
	return out
}

func trimSlash(s string) string {
	if len(s) > 0 && s[0] == '/' {
		return s[1:]
	}
	return s
}

// ContainerLines lists the containers that mount r and where (header and one
// line each): container, destination, rw/ro, the container's state.
func ContainerLines(th views.Theme, r Row, cs []*engine.Container) (string, []string) {
	const format = "%-22s %-30s %-4s %s"
	uses := UsesOf(r.Vol.Name, cs)
	if len(uses) == 0 {
		return "", []string{th.Dim.Render("  no container mounts " + ShortName(r.Vol) + " — berth run -v " + r.Vol.Name + ":/data … mounts it")}
	}
	lines := make([]string, 0, len(uses))
	for _, u := range uses {
		lines = append(lines, fmt.Sprintf(format, views.Sanitize(u.Container), views.Sanitize(u.Mount.Destination), Mode(u.Mount), u.State))
	}
	return fmt.Sprintf(format, "CONTAINER", "DESTINATION", "MODE", "STATE"), lines
}

// Mode is "rw" or "ro".
func Mode(mp engine.MountPoint) string {
	if mp.RW {
		return "rw"
	}
	return "ro"
}

// Prunable lists the volumes `berth volume prune` would remove: anonymous
// ones no container uses.
func Prunable(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		if r.Vol.Anonymous && len(r.Vol.UsedBy) == 0 {
			out = append(out, r)
		}
	}
	return out
}
