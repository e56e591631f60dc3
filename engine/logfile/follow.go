package logfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
)

// pollInterval is how often a followed log is checked for growth and rotation.
const pollInterval = 100 * time.Millisecond

// follow streams lines appended to r's file and, after a rotation, to the files
// that replaced it, until the context is done or Until has passed.
func (s *session) follow(r *fileReader) error {
	var untilC <-chan time.Time
	if !s.opts.Until.IsZero() {
		d := time.Until(s.opts.Until)
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		untilC = t.C
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	defer func() { r.f.Close() }()
	done, stopping := s.opts.Done, false
	for {
		select {
		case <-s.ctx.Done():
			return nil
		case <-untilC:
			return nil
		case <-tick.C:
		case <-done:
			stopping, done = true, nil
		}
		if err := s.drain(r); err != nil {
			return err
		}
		next, err := s.checkRotation(r)
		if err != nil {
			return err
		}
		if next.f != r.f {
			r.f.Close()
		}
		r = next
		if stopping { // the writer is done: read what the current file holds, then end
			return s.drain(r)
		}
	}
}

// checkRotation compares the followed file with what path names now. It
// returns r itself, or a reader on the new current file after reading any
// rotated files written in between.
func (s *session) checkRotation(r *fileReader) (*fileReader, error) {
	cur, err := r.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat log %s: %w", r.name, err)
	}
	st, err := os.Stat(s.path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("follow log %s: %w", s.path, err)
		}
		if links(cur) == 0 {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("follow log %s: log file was removed", s.path))
		}
		return r, nil // renamed by a rotation; the new file is not there yet
	}
	if os.SameFile(cur, st) {
		if st.Size() < r.consumed() {
			return newFileReader(s.path, r.f, 0) // truncated (max-file 1)
		}
		return r, nil
	}
	if err := s.drain(r); err != nil {
		return nil, err
	}
	if err := s.finish(r); err != nil {
		return nil, err
	}
	if err := s.readNewer(cur); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("follow log %s: log file was removed", s.path))
		}
		return nil, fmt.Errorf("follow log %s: %w", s.path, err)
	}
	return newFileReader(s.path, f, 0)
}

// readNewer reads, oldest first, the rotated files newer than old (those that
// several rotations between two polls left behind).
func (s *session) readNewer(old os.FileInfo) error {
	found := 0
	for i := 1; i <= maxRotated; i++ {
		st, err := os.Stat(rotated(s.path, i))
		if err != nil {
			break
		}
		if os.SameFile(st, old) {
			found = i
			break
		}
	}
	for i := found - 1; i >= 1; i-- {
		if err := s.readWhole(rotated(s.path, i)); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) readWhole(name string) error {
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("open log %s: %w", name, err)
	}
	defer f.Close()
	r, err := newFileReader(name, f, 0)
	if err != nil {
		return err
	}
	if err := s.drain(r); err != nil {
		return err
	}
	return s.finish(r)
}

// links returns the hard-link count of a file (0 once it was unlinked).
func links(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
