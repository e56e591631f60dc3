// Package logfile writes and reads container logs in Docker's json-file format:
// one JSON object per line, {"log":"...","stream":"stdout","time":"<RFC3339Nano UTC>"}.
//
// Lines longer than 16 KiB are split into partial entries whose "log" has no
// trailing newline, as Docker does; the last piece carries the newline. The
// writer rotates files by size (path, path.1 … path.N) and the reader can tail,
// filter by time and follow a log across rotations.
//
// The package is imported by the lean per-container monitor, so it depends only
// on the standard library and github.com/containerd/errdefs.
package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/containerd/errdefs"
)

// MaxLineSize is the largest "log" payload of one entry; longer lines are split
// into partial entries of this size, as Docker's json-file driver does.
const MaxLineSize = 16 * 1024

// flushThreshold bounds the encode buffer for one Write call.
const flushThreshold = 64 * 1024

// WriterOptions configures rotation of a log file.
type WriterOptions struct {
	// MaxSize is the size in bytes at which the file is rotated; 0 disables rotation.
	MaxSize int64
	// MaxFiles is the total number of files kept, including the current one
	// (like --log-opt max-file); 0 is treated as 1.
	MaxFiles int
}

// Writer appends log entries to a json-file log. Its stream writers are safe for
// concurrent use.
type Writer struct {
	mu      sync.Mutex
	path    string
	opts    WriterOptions
	f       *os.File
	size    int64
	pending map[string][]byte
	out     []byte
	closed  bool
}

// NewWriter opens path for appending (creating it if needed) and returns a Writer.
func NewWriter(path string, opts WriterOptions) (*Writer, error) {
	if opts.MaxSize < 0 || opts.MaxFiles < 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("log writer %s: negative max-size or max-file", path))
	}
	if opts.MaxFiles == 0 {
		opts.MaxFiles = 1
	}
	f, size, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &Writer{path: path, opts: opts, f: f, size: size, pending: make(map[string][]byte, 2)}, nil
}

func openAppend(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, 0, fmt.Errorf("open log %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("stat log %s: %w", path, err)
	}
	return f, st.Size(), nil
}

// Stream returns an io.Writer for the named stream ("stdout" or "stderr"). Bytes
// are split into lines; an incomplete trailing line is buffered until its
// newline arrives or the Writer is closed.
func (w *Writer) Stream(stream string) io.Writer {
	return streamWriter{w: w, stream: stream}
}

type streamWriter struct {
	w      *Writer
	stream string
}

// Write implements io.Writer.
func (s streamWriter) Write(p []byte) (int, error) {
	if err := s.w.write(s.stream, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *Writer) write(stream string, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.f == nil {
		return fmt.Errorf("write log %s: %w", w.path, os.ErrClosed)
	}
	data := p
	buf := w.pending[stream]
	if len(buf) > 0 {
		buf = append(buf, p...)
		data = buf
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		n := 0
		switch {
		case i >= 0 && i < MaxLineSize:
			n = i + 1
		case len(data) >= MaxLineSize:
			n = MaxLineSize
		}
		if n == 0 {
			break
		}
		if err := w.emit(stream, data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	w.pending[stream] = append(buf[:0], data...)
	return w.flushOut()
}

// emit encodes one entry into the output buffer, rotating first if the entry
// would push the current file past MaxSize.
func (w *Writer) emit(stream string, line []byte) error {
	mark := len(w.out)
	w.out = appendEntry(w.out, stream, line, time.Now())
	n := int64(len(w.out) - mark)
	used := w.size + int64(mark)
	if w.opts.MaxSize > 0 && used > 0 && used+n > w.opts.MaxSize {
		if err := w.writeFile(w.out[:mark]); err != nil {
			return err
		}
		if err := w.rotate(); err != nil {
			return err
		}
		w.out = append(w.out[:0], w.out[mark:]...)
	}
	if len(w.out) >= flushThreshold {
		return w.flushOut()
	}
	return nil
}

func (w *Writer) flushOut() error {
	err := w.writeFile(w.out)
	w.out = w.out[:0]
	return err
}

func (w *Writer) writeFile(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	n, err := w.f.Write(b)
	if err != nil && n > 0 {
		// A short write (a full disk) ends in half an entry, which would
		// glue itself to the next one: cut the file after the last whole entry.
		keep := bytes.LastIndexByte(b[:n], '\n') + 1
		if w.f.Truncate(w.size+int64(keep)) == nil {
			n = keep
		}
	}
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("write log %s: %w", w.path, err)
	}
	return nil
}

// rotate shifts path.(n-1)→path.n … path→path.1 and opens a fresh path; with
// MaxFiles 1 it truncates the current file instead.
func (w *Writer) rotate() error {
	if w.opts.MaxFiles <= 1 {
		if err := w.f.Truncate(0); err != nil {
			return fmt.Errorf("truncate log %s: %w", w.path, err)
		}
		w.size = 0
		return nil
	}
	if err := w.f.Close(); err != nil {
		w.f = nil
		return fmt.Errorf("close log %s: %w", w.path, err)
	}
	w.f = nil
	for i := w.opts.MaxFiles - 1; i > 1; i-- {
		err := os.Rename(rotated(w.path, i-1), rotated(w.path, i))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate log %s: %w", w.path, err)
		}
	}
	if err := os.Rename(w.path, rotated(w.path, 1)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	f, size, err := openAppend(w.path)
	if err != nil {
		return err
	}
	w.f, w.size = f, size
	return nil
}

// rotated returns the name of the n-th rotated file of path.
func rotated(path string, n int) string {
	return path + "." + strconv.Itoa(n)
}

// Close flushes buffered partial lines as entries without a trailing newline
// and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.f == nil {
		return fmt.Errorf("close log %s: %w", w.path, os.ErrClosed)
	}
	var errs []error
	for _, stream := range sortedKeys(w.pending) {
		if buf := w.pending[stream]; len(buf) > 0 {
			errs = append(errs, w.emit(stream, buf))
		}
	}
	errs = append(errs, w.flushOut())
	if err := w.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close log %s: %w", w.path, err))
	}
	w.f = nil
	return errors.Join(errs...)
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		i := len(keys)
		keys = append(keys, k)
		for ; i > 0 && keys[i-1] > k; i-- {
			keys[i] = keys[i-1]
		}
		keys[i] = k
	}
	return keys
}

// Remove deletes the log at path and its rotated files (path.1 … path.N). A log
// that does not exist is not an error.
func Remove(path string) error {
	var errs []error
	for i := 0; i <= maxRotated; i++ {
		name := path
		if i > 0 {
			name = rotated(path, i)
		}
		err := os.Remove(name)
		if errors.Is(err, os.ErrNotExist) {
			if i > 0 {
				break
			}
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove log %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
