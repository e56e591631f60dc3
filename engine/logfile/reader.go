package logfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/containerd/errdefs"
)

// maxRotated bounds how many rotated files (path.1 … path.N) are looked for.
const maxRotated = 1000

// readBufSize is the bufio size used for reading and the chunk size of the
// backwards tail scan.
const readBufSize = 64 * 1024

// ReadOptions selects which entries Read returns.
type ReadOptions struct {
	// Tail is the number of last lines to return; < 0 means all, 0 none
	// (useful with Follow).
	Tail int
	// Since and Until bound entry times; the zero value means unbounded.
	Since, Until time.Time
	// Follow keeps streaming new entries, across rotations, until the context
	// is done or Until has passed.
	Follow bool
	// Done, when closed, ends a follow once everything written so far is
	// read (the writer has finished: the container exited).
	Done <-chan struct{}
}

// CorruptLineError is a non-fatal warning sent (at most once per Read) on the
// error channel when a line that is not a json-file entry was skipped.
type CorruptLineError struct {
	// Path is the file holding the line.
	Path string
	// Offset is the byte offset of the line in that file.
	Offset int64
}

// Error implements error.
func (e *CorruptLineError) Error() string {
	return "corrupt log line skipped in " + e.Path + " at offset " + strconv.FormatInt(e.Offset, 10)
}

// Read streams the entries of the json-file log at path (and its rotated
// files) that match opts. Both channels are closed when reading ends. The
// error channel carries at most one *CorruptLineError warning and at most one
// fatal error (a missing log is errdefs.ErrNotFound); it is buffered, so it
// never blocks the reader.
func Read(ctx context.Context, path string, opts ReadOptions) (<-chan Entry, <-chan error) {
	entries := make(chan Entry, 64)
	errs := make(chan error, 2)
	s := &session{ctx: ctx, path: path, opts: opts, entries: entries, errs: errs}
	go func() {
		defer close(errs)
		defer close(entries)
		if err := s.run(); err != nil && !errors.Is(err, errStopped{}) {
			errs <- err
		}
	}()
	return entries, errs
}

// session is the state of one Read call.
type session struct {
	ctx      context.Context
	path     string
	opts     ReadOptions
	entries  chan<- Entry
	errs     chan<- error
	reported bool
}

// fileReader reads whole lines from one open log file.
type fileReader struct {
	name      string
	f         *os.File
	br        *bufio.Reader
	lineStart int64
	partial   []byte
}

func newFileReader(name string, f *os.File, off int64) (*fileReader, error) {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, fmt.Errorf("seek log %s: %w", name, err)
	}
	return &fileReader{name: name, f: f, br: bufio.NewReaderSize(f, readBufSize), lineStart: off}, nil
}

// next returns the next complete line (valid until the following call) and its
// offset; at the end of the data it returns io.EOF and keeps any incomplete
// line for a later call.
func (r *fileReader) next() ([]byte, int64, error) {
	for {
		chunk, err := r.br.ReadSlice('\n')
		switch {
		case err == nil:
			line := chunk
			if len(r.partial) > 0 {
				r.partial = append(r.partial, chunk...)
				line = r.partial
				r.partial = r.partial[:0]
			}
			off := r.lineStart
			r.lineStart += int64(len(line))
			return line, off, nil
		case errors.Is(err, bufio.ErrBufferFull):
			r.partial = append(r.partial, chunk...)
		default:
			r.partial = append(r.partial, chunk...)
			if errors.Is(err, io.EOF) {
				return nil, 0, io.EOF
			}
			return nil, 0, fmt.Errorf("read log %s: %w", r.name, err)
		}
	}
}

// rest returns and clears the incomplete last line, if any.
func (r *fileReader) rest() ([]byte, int64) {
	line := r.partial
	r.partial = nil
	off := r.lineStart
	r.lineStart += int64(len(line))
	return line, off
}

// consumed is the offset just past all bytes read so far.
func (r *fileReader) consumed() int64 {
	return r.lineStart + int64(len(r.partial))
}

func (s *session) run() error {
	files, err := openFiles(s.path)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	starts, err := tailStarts(files, s.opts.Tail)
	if err != nil {
		return err
	}
	for i, f := range files {
		if starts[i] < 0 {
			continue
		}
		r, err := newFileReader(f.Name(), f, starts[i])
		if err != nil {
			return err
		}
		if err := s.drain(r); err != nil {
			return err
		}
		if i < len(files)-1 || !s.opts.Follow {
			if err := s.finish(r); err != nil {
				return err
			}
			continue
		}
		return s.follow(r)
	}
	return nil
}

// openFiles opens path and its rotated files, oldest first, dropping duplicates
// that a concurrent rotation could produce.
func openFiles(path string) ([]*os.File, error) {
	cur, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("open log %s", path))
		}
		return nil, fmt.Errorf("open log %s: %w", path, err)
	}
	newestFirst := []*os.File{cur}
	var seen []os.FileInfo
	if st, err := cur.Stat(); err == nil {
		seen = append(seen, st)
	}
	for i := 1; i <= maxRotated; i++ {
		f, err := os.Open(rotated(path, i))
		if err != nil {
			break
		}
		st, err := f.Stat()
		if err != nil || containsFile(seen, st) {
			f.Close()
			continue
		}
		seen = append(seen, st)
		newestFirst = append(newestFirst, f)
	}
	files := make([]*os.File, len(newestFirst))
	for i, f := range newestFirst {
		files[len(files)-1-i] = f
	}
	return files, nil
}

func containsFile(seen []os.FileInfo, st os.FileInfo) bool {
	for _, s := range seen {
		if os.SameFile(s, st) {
			return true
		}
	}
	return false
}

// tailStarts returns, for each file (oldest first), the offset to start reading
// at, or -1 to skip the file.
func tailStarts(files []*os.File, tail int) ([]int64, error) {
	starts := make([]int64, len(files))
	if tail < 0 {
		return starts, nil
	}
	need := tail
	for i := len(files) - 1; i >= 0; i-- {
		if need <= 0 && i < len(files)-1 {
			starts[i] = -1
			continue
		}
		st, err := files[i].Stat()
		if err != nil {
			return nil, fmt.Errorf("stat log %s: %w", files[i].Name(), err)
		}
		off, found, err := tailOffset(files[i], st.Size(), need)
		if err != nil {
			return nil, err
		}
		starts[i] = off
		need -= found
	}
	return starts, nil
}

// tailOffset scans f backwards from size in chunks and returns the offset of
// the n-th last line and how many lines (<= n) start at or after it.
func tailOffset(f *os.File, size int64, n int) (int64, int, error) {
	if n <= 0 || size == 0 {
		return size, 0, nil
	}
	buf := make([]byte, min(int64(readBufSize), size))
	count := 0
	for pos := size; pos > 0; {
		chunk := min(int64(len(buf)), pos)
		pos -= chunk
		b := buf[:chunk]
		if _, err := f.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
			return 0, 0, fmt.Errorf("read log %s: %w", f.Name(), err)
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' || pos+int64(i) == size-1 {
				continue
			}
			if count++; count == n {
				return pos + int64(i) + 1, n, nil
			}
		}
	}
	return 0, count + 1, nil
}

// drain emits every complete line available in r.
func (s *session) drain(r *fileReader) error {
	for {
		line, off, err := r.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.emit(r.name, line, off); err != nil {
			return err
		}
	}
}

// finish emits the unterminated last line of a file that will not grow.
func (s *session) finish(r *fileReader) error {
	line, off := r.rest()
	if len(line) == 0 {
		return nil
	}
	return s.emit(r.name, line, off)
}

// emit decodes, filters and sends one line; it returns the context error when
// the reader was cancelled.
func (s *session) emit(name string, line []byte, off int64) error {
	e, err := ParseLine(line)
	if err != nil {
		if !s.reported {
			s.reported = true
			s.errs <- &CorruptLineError{Path: name, Offset: off}
		}
		return nil
	}
	if !s.opts.Since.IsZero() && e.Time.Before(s.opts.Since) {
		return nil
	}
	if !s.opts.Until.IsZero() && e.Time.After(s.opts.Until) {
		return nil
	}
	select {
	case s.entries <- e:
		return nil
	case <-s.ctx.Done():
		return errStopped{}
	}
}

// errStopped ends a session quietly (context done or Until passed).
type errStopped struct{}

func (errStopped) Error() string { return "log reader stopped" }
