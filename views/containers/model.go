package containers

import (
	"cmp"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/views"
)

// SortKey is the column the table is sorted by.
type SortKey int

// The sort keys, in the order `o` cycles through them.
const (
	SortCreated SortKey = iota
	SortName
	SortImage
	SortState
	SortCPU
	SortMem
	SortUptime
	numSortKeys
)

var sortNames = [...]string{"created", "name", "image", "state", "cpu", "mem", "uptime"}

// String names the sort key.
func (k SortKey) String() string { return sortNames[k] }

// sparkLen is how many CPU samples the sparkline column keeps.
const sparkLen = 30

// usage is what the table shows of a container's live stats.
type usage struct {
	cpu   float64
	mem   uint64
	spark []float64
}

// Model is the containers table. The zero value is not usable; call New.
type Model struct {
	list views.List[Row]
	sort SortKey
	desc bool
	use  map[string]*usage
	keys KeyMap
}

// KeyMap is the table's own keys.
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown, Mark, Sort, Reverse key.Binding
}

// Keys returns the table's keys (for the help overlay).
func Keys() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "first")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "last")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Mark:     key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark")),
		Sort:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort by next column")),
		Reverse:  key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "reverse sort")),
	}
}

// Bindings lists the keys for help.
func (k KeyMap) Bindings() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Mark, k.Sort, k.Reverse}
}

// New returns an empty table.
func New() Model {
	return Model{list: views.NewList(func(r Row) string { return r.ID }, filterText), use: map[string]*usage{}, keys: Keys()}
}

// filterText is what the filter matches: name, image and state.
func filterText(r Row) string { return r.Name + " " + r.Image + " " + r.State }

// SetContainers replaces the rows, keeping the cursor on the same container
// when it is still there (else at the same position) and dropping marks and
// stats of containers that are gone.
func (m *Model) SetContainers(cs []*engine.Container) {
	rows := make([]Row, 0, len(cs))
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		rows = append(rows, FromContainer(c))
		seen[c.ID] = true
	}
	for id := range m.use {
		if !seen[id] {
			delete(m.use, id)
		}
	}
	m.list.SetRows(rows)
}

// SetStats records a batch of samples from the stats sampler.
func (m *Model) SetStats(batch []engine.StatsSample) {
	for _, s := range batch {
		if s.Err != nil {
			continue
		}
		u := m.use[s.ID]
		if u == nil {
			u = &usage{}
			m.use[s.ID] = u
		}
		u.cpu, u.mem = s.CPUPercent, s.MemUsage
		if len(u.spark) == sparkLen {
			copy(u.spark, u.spark[1:])
			u.spark = u.spark[:sparkLen-1]
		}
		u.spark = append(u.spark, s.CPUPercent)
	}
	if m.sort == SortCPU || m.sort == SortMem {
		m.list.SetOrder(m.order())
	}
}

// SetFilter filters rows fuzzily on name, image and state.
func (m *Model) SetFilter(f string) {
	if f == m.list.Filter() {
		return
	}
	m.list.SetFilter(f)
}

// Filter returns the current filter.
func (m Model) Filter() string { return m.list.Filter() }

// Sort returns the sort key and direction.
func (m Model) Sort() (SortKey, bool) { return m.sort, m.desc }

// order is the row order for the current sort: nil for created, newest
// first (the engine's own order).
func (m *Model) order() func(a, b Row) int {
	if m.sort == SortCreated && !m.desc {
		return nil
	}
	k, desc, use := m.sort, m.desc, m.use
	return func(a, b Row) int {
		c := compare(k, use, a, b)
		if desc {
			return -c
		}
		return c
	}
}

func compare(k SortKey, use map[string]*usage, a, b Row) int {
	switch k {
	case SortName:
		return strings.Compare(a.Name, b.Name)
	case SortImage:
		return cmp.Or(strings.Compare(a.Image, b.Image), strings.Compare(a.Name, b.Name))
	case SortState:
		return cmp.Or(strings.Compare(a.State, b.State), strings.Compare(a.Name, b.Name))
	case SortCPU:
		return -cmp.Compare(cpuOf(use, a.ID), cpuOf(use, b.ID))
	case SortMem:
		return -cmp.Compare(memOf(use, a.ID), memOf(use, b.ID))
	case SortUptime:
		return cmp.Compare(a.Started.Unix()*boolInt(a.Running()), b.Started.Unix()*boolInt(b.Running()))
	}
	return b.Created.Compare(a.Created)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cpuOf(use map[string]*usage, id string) float64 {
	if u := use[id]; u != nil {
		return u.cpu
	}
	return 0
}

func memOf(use map[string]*usage, id string) uint64 {
	if u := use[id]; u != nil {
		return u.mem
	}
	return 0
}

// Selected returns the row under the cursor.
func (m Model) Selected() (Row, bool) { return m.list.Selected() }

// Targets returns the marked rows, or the selected one when none is marked.
func (m Model) Targets() []Row { return m.list.Targets() }

// Rows returns all rows (unfiltered).
func (m Model) Rows() []Row { return m.list.Rows() }

// Len returns the number of rows shown (after the filter).
func (m Model) Len() int { return m.list.Len() }

// ClearMarks unmarks every row.
func (m *Model) ClearMarks() { m.list.ClearMarks() }

// Update handles the table's keys; it reports whether it used the key.
func (m Model) Update(msg tea.KeyPressMsg, page int) (Model, bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Mark):
		m.list.ToggleMark()
	case key.Matches(msg, k.Sort), key.Matches(msg, k.Reverse):
		if key.Matches(msg, k.Sort) {
			m.sort = (m.sort + 1) % numSortKeys
		} else {
			m.desc = !m.desc
		}
		m.list.SetOrder(m.order())
	default:
		return m, m.list.Navigate(msg, k.Nav(), max(page, 1))
	}
	return m, true
}

// Select moves the cursor to the container with id, if shown.
func (m *Model) Select(id string) { m.list.Select(id) }

// ClickRow moves the cursor to the row-th visible data row (from 0), as a
// mouse click does; it reports whether a row was there.
func (m *Model) ClickRow(row int) bool { return m.list.ClickRow(row) }

// Nav returns the cursor keys every table shares.
func (k KeyMap) Nav() views.NavKeys {
	return views.NavKeys{Up: k.Up, Down: k.Down, Top: k.Top, Bottom: k.Bottom, PageUp: k.PageUp, PageDown: k.PageDown}
}
