// Package logs is the log pane: a bounded ring of log lines that follows a
// container live, with search and highlighted matches (n/N), a filter to
// matching lines, timestamps, wrapping and autoscroll. Memory stays flat on a
// container that logs forever: the ring keeps the last Capacity lines and
// counts the dropped ones, and each stored line is cut at MaxLineBytes.
package logs

import (
	"fmt"
	"strings"
	"time"

	"berth/engine/logfile"
	"berth/views"
)

// Capacity is how many lines the pane keeps.
const Capacity = 10000

// MaxLineBytes is the longest line kept; longer lines are cut and marked.
const MaxLineBytes = 16 << 10

// Line is one log line as the pane keeps it.
type Line struct {
	// Time is when the line was logged.
	Time time.Time
	// Stderr marks lines from the standard error stream.
	Stderr bool
	// Text is the sanitised line without its newline.
	Text string
	// lower is Text in lower case, for search (filled lazily).
	lower string
}

// NewLine converts a log entry, cutting long lines and sanitising the text.
func NewLine(e logfile.Entry) Line {
	raw := e.Line
	if n := len(raw); n > 0 && raw[n-1] == '\n' {
		raw = raw[:n-1]
	}
	cut := 0
	if len(raw) > MaxLineBytes {
		cut = len(raw) - MaxLineBytes
		raw = raw[:MaxLineBytes]
	}
	text := views.Sanitize(strings.ToValidUTF8(string(raw), "�"))
	if cut > 0 {
		text += fmt.Sprintf(" … [%d bytes cut]", cut)
	}
	return Line{Time: e.Time, Stderr: e.Stream == "stderr", Text: text}
}

// ring is a fixed-capacity buffer of lines, oldest dropped first.
type ring struct {
	buf     []Line
	start   int
	n       int
	dropped int
}

func newRing(capacity int) ring { return ring{buf: make([]Line, capacity)} }

func (r *ring) push(l Line) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = l
		r.n++
		return
	}
	r.buf[r.start] = l
	r.start = (r.start + 1) % len(r.buf)
	r.dropped++
}

// at returns the i-th line, oldest first.
func (r *ring) at(i int) *Line { return &r.buf[(r.start+i)%len(r.buf)] }

func (r *ring) reset() {
	clear(r.buf)
	r.start, r.n, r.dropped = 0, 0, 0
}
