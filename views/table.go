package views

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Column describes one table column.
type Column struct {
	// Title is the header text.
	Title string
	// Width is the fixed width; a Grow column takes at least Width and shares
	// what is left.
	Width int
	// Grow columns share the spare width.
	Grow bool
	// Right aligns the cells right.
	Right bool
	// HideBelow hides the column when the table is narrower than this.
	HideBelow int
}

// ColumnWidths lays columns out in width cells with one space between them;
// hidden columns get 0.
func ColumnWidths(cols []Column, width int) []int {
	ws := make([]int, len(cols))
	used, grow := 0, 0
	for i, c := range cols {
		if c.HideBelow > 0 && width < c.HideBelow {
			continue
		}
		ws[i] = c.Width
		used += c.Width + 1
		if c.Grow {
			grow++
		}
	}
	spare := width - used + 1
	for i, c := range cols {
		if ws[i] == 0 || !c.Grow || grow == 0 {
			continue
		}
		add := spare / grow
		if add < 0 {
			add = max(add, 1-ws[i])
		}
		ws[i] += add
		spare -= add
		grow--
	}
	return ws
}

// TableRow joins cells into one line of the given column widths.
func TableRow(cols []Column, widths []int, cells []string) string {
	var b strings.Builder
	first := true
	for i, w := range widths {
		if w <= 0 {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		cell := ""
		if i < len(cells) {
			cell = cells[i]
		}
		if cols[i].Right {
			b.WriteString(FitLeft(cell, w))
		} else {
			b.WriteString(Fit(cell, w))
		}
	}
	return b.String()
}

// Window returns the first visible index so that cursor stays inside a
// window of height rows, given the previous first index.
func Window(cursor, offset, height, total int) int {
	if height <= 0 {
		return 0
	}
	if cursor < offset {
		offset = cursor
	}
	if cursor >= offset+height {
		offset = cursor - height + 1
	}
	return max(0, min(offset, total-height))
}

// Highlight renders a whole row as selected: styles inside are dropped so
// the reverse video spans the line.
func Highlight(th Theme, line string) string {
	return th.Selected.Render(ansi.Strip(line))
}
