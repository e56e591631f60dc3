package views

import (
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
)

// List is the state every table panel keeps over its rows: the rows, the
// filtered (and optionally sorted) view of them, the cursor, the scroll
// offset, the filter and the marks. Panels wrap it and add their own columns
// and cells. The zero value is not usable; call NewList.
type List[T any] struct {
	rows   []T
	view   []int // indices into rows, filtered and ordered
	cursor int   // index into view
	offset int
	filter string
	marks  map[string]bool
	text   func(T) string
	id     func(T) string
	order  func(a, b T) int
}

// NewList returns an empty list whose rows are identified by id (which keeps
// the cursor and marks on the same row across refreshes) and matched by the
// filter against text.
func NewList[T any](id, text func(T) string) List[T] {
	return List[T]{marks: map[string]bool{}, id: id, text: text}
}

// SetRows replaces the rows, keeping the cursor on the same row when it is
// still there (else at the same position) and dropping marks of rows that
// are gone.
func (l *List[T]) SetRows(rows []T) {
	sel, _ := l.Selected()
	l.rows = rows
	if len(l.marks) > 0 {
		seen := make(map[string]bool, len(rows))
		for _, r := range rows {
			seen[l.id(r)] = true
		}
		for id := range l.marks {
			if !seen[id] {
				delete(l.marks, id)
			}
		}
	}
	l.rebuild(l.idOf(sel))
}

// Rows returns every row (unfiltered).
func (l List[T]) Rows() []T { return l.rows }

// SetFilter filters the rows fuzzily on their text.
func (l *List[T]) SetFilter(f string) {
	sel, _ := l.Selected()
	l.filter = f
	l.rebuild(l.idOf(sel))
}

// Filter returns the current filter.
func (l List[T]) Filter() string { return l.filter }

// SetOrder sorts the shown rows stably by cmp (nil keeps the rows' own
// order), keeping the cursor on the same row.
func (l *List[T]) SetOrder(cmp func(a, b T) int) {
	sel, _ := l.Selected()
	l.order = cmp
	l.rebuild(l.idOf(sel))
}

// Select moves the cursor to the row with id, if shown.
func (l *List[T]) Select(id string) { l.rebuild(id) }

func (l List[T]) idOf(r T) string {
	if l.id == nil {
		return ""
	}
	return l.id(r)
}

// rebuild filters and orders, then puts the cursor on id if present.
func (l *List[T]) rebuild(id string) {
	l.view = l.view[:0]
	for i, r := range l.rows {
		if _, ok := FuzzyScore(l.filter, l.text(r)); ok {
			l.view = append(l.view, i)
		}
	}
	if l.order != nil {
		slices.SortStableFunc(l.view, func(a, b int) int { return l.order(l.rows[a], l.rows[b]) })
	}
	if id != "" {
		for vi, ri := range l.view {
			if l.id(l.rows[ri]) == id {
				l.cursor = vi
				return
			}
		}
	}
	l.cursor = min(max(l.cursor, 0), max(len(l.view)-1, 0))
}

// Selected returns the row under the cursor.
func (l List[T]) Selected() (T, bool) {
	if l.cursor < 0 || l.cursor >= len(l.view) {
		var zero T
		return zero, false
	}
	return l.rows[l.view[l.cursor]], true
}

// Len returns the number of rows shown (after the filter).
func (l List[T]) Len() int { return len(l.view) }

// Marked reports whether r is marked.
func (l List[T]) Marked(r T) bool { return l.marks[l.id(r)] }

// MarkCount returns how many rows are marked.
func (l List[T]) MarkCount() int { return len(l.marks) }

// ClearMarks unmarks every row.
func (l *List[T]) ClearMarks() { clear(l.marks) }

// ToggleMark flips the mark of the row under the cursor and moves the cursor
// down; it does nothing when no row is shown.
func (l *List[T]) ToggleMark() {
	r, ok := l.Selected()
	if !ok {
		return
	}
	if id := l.id(r); l.marks[id] {
		delete(l.marks, id)
	} else {
		l.marks[id] = true
	}
	l.cursor = max(min(l.cursor+1, len(l.view)-1), 0)
}

// Targets returns the marked rows that are shown, or the selected one when
// none is marked.
func (l List[T]) Targets() []T {
	var out []T
	for _, i := range l.view {
		if l.marks[l.id(l.rows[i])] {
			out = append(out, l.rows[i])
		}
	}
	if len(out) == 0 {
		if r, ok := l.Selected(); ok {
			out = append(out, r)
		}
	}
	return out
}

// NavKeys are the cursor keys every table shares.
type NavKeys struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
}

// Navigate moves the cursor for msg, page rows per page; it reports whether
// msg was one of k.
func (l *List[T]) Navigate(msg fmt.Stringer, k NavKeys, page int) bool {
	last := max(len(l.view)-1, 0)
	switch {
	case key.Matches(msg, k.Up):
		l.cursor = max(l.cursor-1, 0)
	case key.Matches(msg, k.Down):
		l.cursor = min(l.cursor+1, last)
	case key.Matches(msg, k.Top):
		l.cursor = 0
	case key.Matches(msg, k.Bottom):
		l.cursor = last
	case key.Matches(msg, k.PageUp):
		l.cursor = max(l.cursor-page, 0)
	case key.Matches(msg, k.PageDown):
		l.cursor = min(l.cursor+page, last)
	default:
		return false
	}
	return true
}

// ClickRow moves the cursor to the row-th visible data row (from 0), as a
// mouse click does; it reports whether a row was there.
func (l *List[T]) ClickRow(row int) bool {
	i := l.offset + row
	if row < 0 || i >= len(l.view) {
		return false
	}
	l.cursor = i
	return true
}

// Box draws the shown rows as a table in a box of width×height cells titled
// title: the header, empty (dimmed) when no row is shown, then the rows of
// the scrolled window, the cursor row highlighted when focused and marked
// with ">" otherwise.
func (l *List[T]) Box(th Theme, cols []Column, title, empty string, width, height int, focused bool, cells func(T) []string) string {
	inner := width - 2
	ws := ColumnWidths(cols, inner)
	hdr := make([]string, len(cols))
	for i, c := range cols {
		hdr[i] = c.Title
	}
	lines := make([]string, 0, height)
	lines = append(lines, th.Header.Render(TableRow(cols, ws, hdr)))
	if len(l.view) == 0 {
		lines = append(lines, th.Dim.Render(empty))
	}
	rowsH := height - 3 // borders and header
	l.offset = Window(l.cursor, l.offset, rowsH, len(l.view))
	for vi := l.offset; vi < len(l.view) && vi < l.offset+rowsH; vi++ {
		line := TableRow(cols, ws, cells(l.rows[l.view[vi]]))
		switch {
		case vi == l.cursor && focused:
			line = Highlight(th, line)
		case vi == l.cursor:
			line = th.Title.Render(">") + ansi.Cut(line, 1, inner)
		}
		lines = append(lines, line)
	}
	return Box(th, title, lines, width, height, focused)
}

// FilterEmpty is the empty-table message: none when no filter is set, else
// a note that nothing matches the filter.
func FilterEmpty(none, filter string) string {
	if filter != "" {
		return "  nothing matches /" + filter + " (esc clears)"
	}
	return none
}

// CountTitle is a table's title: the name, the count of rows shown and the
// filter, if any.
func CountTitle(name string, n int, filter string) string {
	title := fmt.Sprintf("%s %d", name, n)
	if filter != "" {
		title += " /" + filter
	}
	return title
}
