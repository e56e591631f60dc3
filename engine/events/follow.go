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

// reader reads complete lines from one file of the log, keeping an
// unterminated tail (an append in progress) until its newline arrives.
type reader struct {
	of      openFile
	br      *bufio.Reader
	off     int64 // offset just past the last complete line
	partial []byte
}

// newReader reads of from offset off, counting the bytes it reads in l.
func (l *Log) newReader(of openFile, off int64) (*reader, error) {
	if _, err := of.f.Seek(off, io.SeekStart); err != nil {
		return nil, fmt.Errorf("seek events log %s: %w", of.f.Name(), err)
	}
	return &reader{of: of, br: bufio.NewReader(counter{of.f, &l.bytesRead}), off: off}, nil
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
			return fmt.Errorf("read events log %s: %w", r.of.f.Name(), err)
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

// Read returns the past events that match f, from the rotated files and the
// current one. A log that does not exist yet holds no events.
func (l *Log) Read(ctx context.Context, f Filter) ([]Event, error) {
	files, _, err := l.openChain()
	if err != nil {
		return nil, err
	}
	defer closeFiles(files)
	var out []Event
	n := 0
	collect := func(ev Event) error {
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if f.Match(ev) {
			out = append(out, ev)
		}
		return nil
	}
	for i, start := range l.startOffsets(files, f.Since) {
		if start < 0 {
			continue
		}
		r, err := l.newReader(files[i], start)
		if err == nil {
			err = r.each(collect)
		}
		if err != nil {
			return nil, fmt.Errorf("read events log %s: %w", l.path, err)
		}
	}
	return out, nil
}

// Subscribe replays the matching events from f.Since (none when Since is
// zero: a follower starts at the end of the log and reads nothing before it)
// and then follows new appends, across rotations, polling the file, until ctx
// is done or f.Until has passed (the events up to Until are delivered). Its
// position is taken before it returns, so every event appended after
// Subscribe returns is seen. Both channels are closed when it ends; the error
// channel carries at most one fatal error.
func (l *Log) Subscribe(ctx context.Context, f Filter) (<-chan Event, <-chan error) {
	out := make(chan Event, 64)
	errc := make(chan error, 1)
	s, err := l.startFollow(f)
	go func() {
		defer close(errc)
		defer close(out)
		if err != nil {
			errc <- err
			return
		}
		defer closeFiles(s.known)
		if err := s.run(ctx, out); err != nil && !errors.Is(err, errDone{}) {
			errc <- err
		}
	}()
	return out, errc
}

// errDone ends a subscription quietly.
type errDone struct{}

func (errDone) Error() string { return "subscription ended" }

// follower is the state of one subscription.
type follower struct {
	l      *Log
	f      Filter
	replay []*reader  // rotated files to read before following
	cur    *reader    // the current file; nil while it does not exist
	known  []openFile // every file met so far, kept open so its inode is not reused
}

// startFollow opens the log's files and takes the subscription's position:
// the end of the current file, or where f.Since starts.
func (l *Log) startFollow(f Filter) (*follower, error) {
	files, hasCur, err := l.openChain()
	if err != nil {
		return nil, err
	}
	s := &follower{l: l, f: f, known: files}
	starts := l.startOffsets(files, f.Since)
	for i, of := range files {
		last := hasCur && i == len(files)-1
		start := starts[i]
		if last && f.Since.IsZero() {
			start = of.fi.Size()
		} else if start < 0 || f.Since.IsZero() {
			continue
		}
		r, err := l.newReader(of, start)
		if err != nil {
			closeFiles(files)
			return nil, err
		}
		if last {
			s.cur = r
		} else {
			s.replay = append(s.replay, r)
		}
	}
	return s, nil
}

func (s *follower) run(ctx context.Context, out chan<- Event) error {
	send := func(ev Event) error {
		if !s.f.Match(ev) {
			return nil
		}
		select {
		case out <- ev:
			return nil
		case <-ctx.Done():
			return errDone{}
		}
	}
	for _, r := range append(s.replay, s.cur) {
		if r != nil {
			if err := r.each(send); err != nil {
				return err
			}
		}
	}
	s.replay = nil
	var untilC <-chan time.Time
	if !s.f.Until.IsZero() {
		t := time.NewTimer(time.Until(s.f.Until))
		defer t.Stop()
		untilC = t.C
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-untilC: // deliver what was appended up to now, then end
			return s.poll(send)
		case <-tick.C:
		}
		if err := s.poll(send); err != nil {
			return err
		}
	}
}

// poll reads what was appended since the last look. When the current file
// was rotated, removed or replaced it finishes it and reads every file not
// met before, oldest first. When idle it costs one stat call.
func (s *follower) poll(send func(Event) error) error {
	st, err := os.Stat(s.l.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stat events log %s: %w", s.l.path, err)
	}
	if err == nil && s.cur != nil && s.cur.of.same(st) {
		if st.Size() < s.cur.off { // truncated: start over
			r, err := s.l.newReader(s.cur.of, 0)
			if err != nil {
				return err
			}
			s.cur = r
		}
		if st.Size() <= s.cur.off+int64(len(s.cur.partial)) {
			return nil
		}
		return s.cur.each(send)
	}
	if err != nil && s.cur == nil {
		return nil // no file yet
	}
	if s.cur != nil {
		if err := s.cur.each(send); err != nil {
			return err
		}
	}
	return s.advance(send)
}

// advance moves past a rotation: it reads the files it has not met yet (the
// new current file included) from their start.
func (s *follower) advance(send func(Event) error) error {
	files, hasCur, err := s.l.openChain()
	if err != nil {
		return err
	}
	var fresh, next []openFile
	for _, of := range files {
		if k, ok := find(s.known, of.fi); ok {
			of.f.Close()
			next = append(next, k)
			continue
		}
		next = append(next, of)
		fresh = append(fresh, of)
	}
	for _, k := range s.known {
		if _, ok := find(next, k.fi); !ok {
			k.f.Close()
		}
	}
	s.known, s.cur = next, nil
	for i, of := range fresh {
		r, err := s.l.newReader(of, 0)
		if err != nil {
			return err
		}
		if hasCur && i == len(fresh)-1 && of.same(next[len(next)-1].fi) {
			s.cur = r
		}
		if err := r.each(send); err != nil {
			return err
		}
	}
	if hasCur && s.cur == nil { // the current file was met before: follow it from its end
		last := next[len(next)-1]
		r, err := s.l.newReader(last, last.fi.Size())
		if err != nil {
			return err
		}
		s.cur = r
	}
	return nil
}

// find returns the entry of files that is the file fi describes.
func find(files []openFile, fi os.FileInfo) (openFile, bool) {
	for _, o := range files {
		if o.same(fi) {
			return o, true
		}
	}
	return openFile{}, false
}
