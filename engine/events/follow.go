package events

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// pollInterval is how often Subscribe checks the log for new events.
const pollInterval = 100 * time.Millisecond

// reader reads complete lines from the events log, keeping an unterminated
// tail (an append in progress) until its newline arrives.
type reader struct {
	path    string
	f       *os.File
	fi      os.FileInfo
	br      *bufio.Reader
	off     int64 // offset just past the last complete line
	partial []byte
}

// openReader opens path at offset 0, or at its end when atEnd; a missing file
// returns a nil reader and no error.
func openReader(path string, atEnd bool) (*reader, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("open events log %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat events log %s: %w", path, err)
	}
	r := &reader{path: path, f: f, fi: fi, br: bufio.NewReader(f)}
	if atEnd {
		r.off, err = f.Seek(0, io.SeekEnd)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("seek events log %s: %w", path, err)
		}
	}
	return r, nil
}

func (r *reader) close() {
	if r != nil {
		r.f.Close()
	}
}

// each calls fn for every event in the complete lines available now; corrupt
// lines are skipped. It stops early when fn returns an error.
func (r *reader) each(fn func(Event) error) error {
	for {
		chunk, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			r.partial = append(r.partial, chunk...)
			continue
		}
		if err != nil {
			r.partial = append(r.partial, chunk...)
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read events log %s: %w", r.path, err)
		}
		line := chunk
		if len(r.partial) > 0 {
			line = append(r.partial, chunk...)
			r.partial = r.partial[:0]
		}
		r.off += int64(len(line))
		ev, err := Decode(line)
		if err != nil {
			continue // a corrupt line is not fatal
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
}

// Read returns the past events that match f. A log that does not exist yet
// holds no events.
func (l *Log) Read(ctx context.Context, f Filter) ([]Event, error) {
	r, err := openReader(l.path, false)
	if err != nil || r == nil {
		return nil, err
	}
	defer r.close()
	var out []Event
	n := 0
	err = r.each(func(ev Event) error {
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if f.Match(ev) {
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read events log %s: %w", l.path, err)
	}
	return out, nil
}

// Subscribe replays the matching events from f.Since (none when Since is zero)
// and then follows new appends, polling the file, until ctx is done or
// f.Until has passed. Both channels are closed when it ends; the error channel
// carries at most one fatal error.
func (l *Log) Subscribe(ctx context.Context, f Filter) (<-chan Event, <-chan error) {
	out := make(chan Event, 64)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(out)
		if err := l.follow(ctx, f, out); err != nil && !errors.Is(err, errDone{}) {
			errc <- err
		}
	}()
	return out, errc
}

// errDone ends a subscription quietly.
type errDone struct{}

func (errDone) Error() string { return "subscription ended" }

func (l *Log) follow(ctx context.Context, f Filter, out chan<- Event) error {
	send := func(ev Event) error {
		if !f.Match(ev) {
			return nil
		}
		select {
		case out <- ev:
			return nil
		case <-ctx.Done():
			return errDone{}
		}
	}
	r, err := openReader(l.path, f.Since.IsZero())
	if err != nil {
		return err
	}
	defer func() { r.close() }()
	var untilC <-chan time.Time
	if !f.Until.IsZero() {
		t := time.NewTimer(time.Until(f.Until))
		defer t.Stop()
		untilC = t.C
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for grew := r != nil; ; {
		if grew {
			if err := r.each(send); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-untilC:
			return nil
		case <-tick.C:
		}
		if r, grew, err = l.poll(r, send); err != nil {
			return err
		}
	}
}

// poll checks whether the log was created, replaced or truncated since the
// last look and returns the reader to continue with and whether it has new
// data. When idle it costs one stat call.
func (l *Log) poll(r *reader, send func(Event) error) (*reader, bool, error) {
	st, err := os.Stat(l.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if r != nil {
			if err := r.each(send); err != nil {
				return r, false, err
			}
		}
		r.close()
		return nil, false, nil
	case err != nil:
		return r, false, fmt.Errorf("stat events log %s: %w", l.path, err)
	case r != nil && !os.SameFile(st, r.fi):
		if err := r.each(send); err != nil {
			return r, false, err
		}
		fallthrough
	case r != nil && st.Size() < r.off: // replaced or truncated: start over
		r.close()
		fallthrough
	case r == nil:
		r, err = openReader(l.path, false)
		return r, r != nil, err
	}
	return r, st.Size() > r.off+int64(len(r.partial)), nil
}
