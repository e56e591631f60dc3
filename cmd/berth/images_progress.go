package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"berth/images"
)

// progressView renders the per-layer events of a pull or push. On a terminal
// it keeps one line per layer and redraws them in place; otherwise it prints a
// plain line when a layer's status changes and at each quarter of a transfer.
type progressView struct {
	w     io.Writer
	tty   bool
	width int
	order []string
	rows  map[string]*progressRow
	drawn int // lines drawn by the last redraw (terminal mode)
	// fetched is set once any layer was downloaded rather than found intact.
	fetched bool
}

// progressRow is the last known state of one layer.
type progressRow struct {
	status     string
	cur, total int64
	quarter    int // plain mode: the last quarter of the transfer printed
}

func newProgressView(w io.Writer) *progressView {
	v := &progressView{w: w, rows: map[string]*progressRow{}, width: 80}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		v.tty = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			v.width = cols
		}
	}
	return v
}

// transferring reports whether a status carries byte counts.
func transferring(status string) bool { return status == "Downloading" || status == "Pushing" }

// update applies one event and draws the change.
func (v *progressView) update(p images.Progress) {
	v.fetched = v.fetched || p.Status == "Downloading"
	r, ok := v.rows[p.ID]
	if !ok && p.Status == "Pull complete" && len(v.order) > 0 {
		// The image is stored: every downloaded layer is now complete.
		for _, id := range v.order {
			if row := v.rows[id]; row.status == "Download complete" {
				row.status = "Pull complete"
				v.plain(id, row)
			}
		}
		v.redraw()
		return
	}
	if !ok {
		r = &progressRow{}
		v.rows[p.ID] = r
		v.order = append(v.order, p.ID)
	}
	changed := r.status != p.Status
	r.status, r.cur, r.total = p.Status, p.Current, p.Total
	if v.tty {
		v.redraw()
		return
	}
	q := 0
	if r.total > 0 {
		q = int(4 * r.cur / r.total)
	}
	if changed || (transferring(r.status) && q > r.quarter) {
		r.quarter = q
		v.plain(p.ID, r)
	}
}

// plain prints one line for a row when not on a terminal.
func (v *progressView) plain(id string, r *progressRow) {
	if v.tty {
		return
	}
	line := id + ": " + r.status
	if transferring(r.status) && r.total > 0 {
		line += fmt.Sprintf(" %s/%s (%d%%)", humanSize(r.cur), humanSize(r.total), percent(r.cur, r.total))
	}
	fmt.Fprintln(v.w, line)
}

// redraw moves the cursor back over the rows drawn last time and draws them all.
func (v *progressView) redraw() {
	if !v.tty {
		return
	}
	var b strings.Builder
	if v.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", v.drawn)
	}
	for _, id := range v.order {
		b.WriteString("\r\x1b[2K")
		b.WriteString(truncate(v.line(id, v.rows[id]), v.width-1))
		b.WriteString("\n")
	}
	v.drawn = len(v.order)
	io.WriteString(v.w, b.String())
}

// line is a row as a terminal shows it: "id: Downloading [===>   ] 1.2MB/3MB 40%".
func (v *progressView) line(id string, r *progressRow) string {
	s := id + ": " + r.status
	if !transferring(r.status) || r.total <= 0 {
		return s
	}
	pct := percent(r.cur, r.total)
	const width = 40
	done := width * pct / 100
	bar := strings.Repeat("=", done)
	if done < width {
		bar += ">" + strings.Repeat(" ", width-done-1)
	}
	return fmt.Sprintf("%s [%s] %s/%s %d%%", s, bar, humanSize(r.cur), humanSize(r.total), pct)
}

func percent(cur, total int64) int {
	if total <= 0 {
		return 0
	}
	p := int(100 * cur / total)
	return min(max(p, 0), 100)
}

// drain renders events from ch until it is closed.
func (v *progressView) drain(ch <-chan images.Progress) {
	for p := range ch {
		v.update(p)
	}
}
