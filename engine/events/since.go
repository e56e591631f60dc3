package events

import (
	"bufio"
	"io"
	"sync/atomic"
	"time"
)

// bisectMin is the span below which the search for --since's first event
// stops and reading goes on line by line.
const bisectMin = 32 << 10

// probeBuf is the read size of one bisection probe.
const probeBuf = 4 << 10

// counter counts the bytes read through it into n.
type counter struct {
	r io.Reader
	n *atomic.Int64
}

// Read implements io.Reader.
func (c counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// startOffsets returns, for each file (oldest first), where reading for
// events since the given time starts, or -1 to skip the file. A zero since
// reads everything. Appends are (close to) time order — Append stamps events
// under the file lock — so files that start at or after since are read whole,
// the newest file that starts before since is entered by bisection and older
// ones are skipped.
func (l *Log) startOffsets(files []openFile, since time.Time) []int64 {
	starts := make([]int64, len(files))
	if since.IsZero() {
		return starts
	}
	for i := len(files) - 1; i >= 0; i-- {
		size := files[i].fi.Size()
		_, ev, ok := l.eventAfter(files[i].f, 0, size)
		if !ok || !ev.Time.Before(since) {
			continue
		}
		starts[i] = l.seekSince(files[i].f, size, since, bisectMin)
		for j := 0; j < i; j++ {
			starts[j] = -1
		}
		break
	}
	return starts
}

// seekSince bisects f (size bytes) for the start of a line at or before the
// first event at or after since, until the span left is at most minSpan:
// every event before the returned offset is older than since when the file
// is in time order.
func (l *Log) seekSince(f io.ReaderAt, size int64, since time.Time, minSpan int64) int64 {
	lo, hi := int64(0), size
	for hi-lo > minSpan {
		mid := lo + (hi-lo)/2
		start, ev, ok := l.eventAfter(f, mid, size)
		if !ok || start >= hi || !ev.Time.Before(since) {
			hi = mid
			continue
		}
		lo = start
	}
	return lo
}

// eventAfter returns the first decodable event on a complete line that
// starts at or after pos, and that line's offset.
func (l *Log) eventAfter(f io.ReaderAt, pos, size int64) (int64, Event, bool) {
	from := max(pos-1, 0)
	if from >= size {
		return 0, Event{}, false
	}
	br := bufio.NewReaderSize(counter{io.NewSectionReader(f, from, size-from), &l.bytesRead}, probeBuf)
	start := from
	if pos > 0 { // skip to the line after the byte before pos
		skip, err := br.ReadBytes('\n')
		if err != nil {
			return 0, Event{}, false
		}
		start += int64(len(skip))
	}
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return 0, Event{}, false // none, or an append in progress
		}
		if ev, err := Decode(line); err == nil {
			return start, ev, true
		}
		start += int64(len(line))
	}
}
