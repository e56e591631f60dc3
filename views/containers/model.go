package containers

import (
	"cmp"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/stats"
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
	rows   []Row
	view   []int // indices into rows, filtered and sorted
	cursor int   // index into view
	offset int
	marks  map[string]bool
	sort   SortKey
	desc   bool
	filter string
	use    map[string]*usage
	keys   KeyMap
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
	return Model{marks: map[string]bool{}, use: map[string]*usage{}, keys: Keys()}
}

// SetContainers replaces the rows, keeping the cursor on the same container
// when it is still there (else at the same position) and dropping marks and
// stats of containers that are gone.
func (m *Model) SetContainers(cs []*engine.Container) {
	sel, _ := m.Selected()
	m.rows = m.rows[:0]
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		m.rows = append(m.rows, FromContainer(c))
		seen[c.ID] = true
	}
	for id := range m.marks {
		if !seen[id] {
			delete(m.marks, id)
		}
	}
	for id := range m.use {
		if !seen[id] {
			delete(m.use, id)
		}
	}
	m.rebuild(sel.ID)
}

// SetStats records a batch of samples from the stats sampler.
func (m *Model) SetStats(batch []stats.Sample) {
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
		sel, _ := m.Selected()
		m.rebuild(sel.ID)
	}
}

// SetFilter filters rows fuzzily on name, image and state.
func (m *Model) SetFilter(f string) {
	if f == m.filter {
		return
	}
	sel, _ := m.Selected()
	m.filter = f
	m.rebuild(sel.ID)
}

// Filter returns the current filter.
func (m Model) Filter() string { return m.filter }

// Sort returns the sort key and direction.
func (m Model) Sort() (SortKey, bool) { return m.sort, m.desc }

// rebuild filters and sorts, then puts the cursor on id if present.
func (m *Model) rebuild(id string) {
	type scored struct{ i, score int }
	var sc []scored
	for i, r := range m.rows {
		s, ok := views.FuzzyScore(m.filter, r.Name+" "+r.Image+" "+r.State)
		if ok {
			sc = append(sc, scored{i, s})
		}
	}
	m.view = m.view[:0]
	for _, s := range sc {
		m.view = append(m.view, s.i)
	}
	if m.sort != SortCreated || m.desc {
		slices.SortStableFunc(m.view, func(a, b int) int {
			c := m.compare(m.rows[a], m.rows[b])
			if m.desc {
				return -c
			}
			return c
		})
	}
	if id != "" {
		for vi, ri := range m.view {
			if m.rows[ri].ID == id {
				m.cursor = vi
				return
			}
		}
	}
	m.cursor = min(max(m.cursor, 0), max(len(m.view)-1, 0))
}

func (m *Model) compare(a, b Row) int {
	switch m.sort {
	case SortName:
		return strings.Compare(a.Name, b.Name)
	case SortImage:
		return cmp.Or(strings.Compare(a.Image, b.Image), strings.Compare(a.Name, b.Name))
	case SortState:
		return cmp.Or(strings.Compare(a.State, b.State), strings.Compare(a.Name, b.Name))
	case SortCPU:
		return -cmp.Compare(m.cpu(a.ID), m.cpu(b.ID))
	case SortMem:
		return -cmp.Compare(m.mem(a.ID), m.mem(b.ID))
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

func (m *Model) cpu(id string) float64 {
	if u := m.use[id]; u != nil {
		return u.cpu
	}
	return 0
}

func (m *Model) mem(id string) uint64 {
	if u := m.use[id]; u != nil {
		return u.mem
	}
	return 0
}

// Selected returns the row under the cursor.
func (m Model) Selected() (Row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.view) {
		return Row{}, false
	}
	return m.rows[m.view[m.cursor]], true
}

// Targets returns the marked rows, or the selected one when none is marked.
func (m Model) Targets() []Row {
	var out []Row
	for _, i := range m.view {
		if m.marks[m.rows[i].ID] {
			out = append(out, m.rows[i])
		}
	}
	if len(out) == 0 {
		if r, ok := m.Selected(); ok {
			out = append(out, r)
		}
	}
	return out
}

// Rows returns all rows (unfiltered).
func (m Model) Rows() []Row { return m.rows }

// Len returns the number of rows shown (after the filter).
func (m Model) Len() int { return len(m.view) }

// ClearMarks unmarks every row.
func (m *Model) ClearMarks() { clear(m.marks) }

// Update handles the table's keys; it reports whether it used the key.
func (m Model) Update(msg tea.KeyPressMsg, page int) (Model, bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(msg, k.Down):
		m.cursor = max(min(m.cursor+1, len(m.view)-1), 0)
	case key.Matches(msg, k.Top):
		m.cursor = 0
	case key.Matches(msg, k.Bottom):
		m.cursor = max(len(m.view)-1, 0)
	case key.Matches(msg, k.PageUp):
		m.cursor = max(m.cursor-max(page, 1), 0)
	case key.Matches(msg, k.PageDown):
		m.cursor = max(min(m.cursor+max(page, 1), len(m.view)-1), 0)
	case key.Matches(msg, k.Mark):
		if r, ok := m.Selected(); ok {
			if m.marks[r.ID] {
				delete(m.marks, r.ID)
			} else {
				m.marks[r.ID] = true
			}
			m.cursor = max(min(m.cursor+1, len(m.view)-1), 0)
		}
	case key.Matches(msg, k.Sort), key.Matches(msg, k.Reverse):
		if key.Matches(msg, k.Sort) {
			m.sort = (m.sort + 1) % numSortKeys
		} else {
			m.desc = !m.desc
		}
		sel, _ := m.Selected()
		m.rebuild(sel.ID)
	default:
		return m, false
	}
	return m, true
}

// Select moves the cursor to the container with id, if shown.
func (m *Model) Select(id string) {
	m.rebuild(id)
}

// ClickRow moves the cursor to the row-th visible data row (from 0), as a
// mouse click does; it reports whether a row was there.
func (m *Model) ClickRow(row int) bool {
	i := m.offset + row
	if row < 0 || i >= len(m.view) {
		return false
	}
	m.cursor = i
	return true
}
