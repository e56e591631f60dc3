// Package events is berth's append-only events log: one JSON object per line
// in a single file that every berth process appends to (O_APPEND, one write
// per event under flock(LOCK_EX)) and any process can read or follow.
//
// The package is imported by the lean per-container monitor, so it depends only
// on the standard library, golang.org/x/sys/unix and
// github.com/containerd/errdefs (and moby's dependency-free events API types).
package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// Event is one recorded change, shaped like Docker's events.
type Event struct {
	// Time is when the event happened, UTC with nanoseconds.
	Time time.Time `json:"time"`
	// Type is the object kind: "container", "image", "network" or "volume".
	Type string `json:"type"`
	// Action is what happened: create, start, die, stop, kill, pause, pull, tag …
	Action string `json:"action"`
	// ID is the full object ID.
	ID string `json:"id"`
	// Attributes holds name, image, exitCode, signal … and the container's labels.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Log is an events log file. It holds no open file between calls, so a Log is
// cheap and safe for concurrent use.
type Log struct {
	path string
}

// Open returns the events log stored at path. The file is created by the
// first Append.
func Open(path string) *Log {
	return &Log{path: path}
}

// Path returns the file the log is stored in.
func (l *Log) Path() string {
	return l.path
}

// Append writes ev as one line, filling Time with the current time when zero.
// The line is written with a single write() on an O_APPEND descriptor while
// holding an exclusive flock, so concurrent appenders never interleave.
func (l *Log) Append(ev Event) error {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Time = ev.Time.UTC()
	if ev.Type == "" || ev.Action == "" {
		return errdefs.ErrInvalidArgument.WithMessage("append event: type and action are required")
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("append event %s %s: %w", ev.Type, ev.Action, err)
	}
	line = append(line, '\n')
	f, err := l.openAppend()
	if err != nil {
		return err
	}
	defer f.Close()
	fd := int(f.Fd())
	if err := flock(fd, unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock events log %s: %w", l.path, err)
	}
	defer flock(fd, unix.LOCK_UN)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat events log %s: %w", l.path, err)
	}
	n, err := unix.Write(fd, line)
	if err == nil && n != len(line) {
		err = fmt.Errorf("short write (%d of %d bytes)", n, len(line))
	}
	if err != nil {
		if n > 0 { // half a line (a full disk) would spoil the next event: take it back
			_ = unix.Ftruncate(fd, st.Size)
		}
		return fmt.Errorf("append to events log %s: %w", l.path, err)
	}
	return nil
}

func (l *Log) openAppend() (*os.File, error) {
	const flags = os.O_WRONLY | os.O_APPEND | os.O_CREATE
	f, err := os.OpenFile(l.path, flags, 0o644)
	if errors.Is(err, os.ErrNotExist) {
		if mkErr := os.MkdirAll(filepath.Dir(l.path), 0o755); mkErr != nil {
			return nil, fmt.Errorf("create events log dir for %s: %w", l.path, mkErr)
		}
		f, err = os.OpenFile(l.path, flags, 0o644)
	}
	if err != nil {
		return nil, fmt.Errorf("open events log %s: %w", l.path, err)
	}
	return f, nil
}

// flock applies how to fd, retrying when interrupted by a signal.
func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// Decode parses one events log line (with or without its trailing newline).
// A line that is not a JSON event with a type and an action is an
// errdefs.ErrInvalidArgument error.
func Decode(line []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(line, &ev); err != nil {
		return Event{}, fmt.Errorf("decode event: %w: %w", errdefs.ErrInvalidArgument, err)
	}
	if ev.Type == "" || ev.Action == "" {
		return Event{}, errdefs.ErrInvalidArgument.WithMessage("decode event: missing type or action")
	}
	return ev, nil
}
