// Package events is berth's append-only events log: one JSON object per line
// in a file that every berth process appends to (O_APPEND, one write per event
// under flock(LOCK_EX)) and any process can read or follow. The log is
// rotated by size: when an append would take the file past Options.MaxSize,
// the file becomes path.1 (path.1 becomes path.2 …, up to Options.Backups)
// and a new file starts, so the log never holds more than about
// (Backups+1)×MaxSize bytes. Readers read the rotated files in order;
// followers start at the end without reading what came before.
//
// The package is imported by the lean per-container monitor, so it depends only
// on the standard library, golang.org/x/sys/unix and
// github.com/containerd/errdefs (and moby's dependency-free events API types).
package events

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/containerd/errdefs"
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

// DefaultMaxSize is the size at which the log rotates unless Options say
// otherwise: about 10,000 run/rm cycles of events.
const DefaultMaxSize = 8 << 20

// DefaultBackups is how many rotated files are kept unless Options say
// otherwise.
const DefaultBackups = 1

// maxBackups bounds Options.Backups (and how many rotated files readers look for).
const maxBackups = 9

// Options bound the size of a log.
type Options struct {
	// MaxSize rotates the file before an append that would take it past
	// MaxSize bytes (a single larger event still gets a file of its own).
	// 0 means DefaultMaxSize; a negative value never rotates.
	MaxSize int64
	// Backups is how many rotated files (path.1 … path.N) are kept, 1 to 9;
	// 0 means DefaultBackups.
	Backups int
}

// Log is an events log file. It holds no open file between calls, so a Log is
// cheap and safe for concurrent use. Processes that share a log may use
// different Options: each rotates at its own MaxSize, so the smallest bound holds.
type Log struct {
	path    string
	maxSize int64
	backups int
	// bytesRead counts the bytes readers and followers read from the files.
	bytesRead atomic.Int64
}

// Open returns the events log stored at path with the default size bounds.
// The file is created by the first Append.
func Open(path string) *Log {
	return OpenWith(path, Options{})
}

// OpenWith returns the events log stored at path, rotated as o says.
func OpenWith(path string, o Options) *Log {
	l := &Log{path: path, maxSize: o.MaxSize, backups: o.Backups}
	if l.maxSize == 0 {
		l.maxSize = DefaultMaxSize
	}
	if l.backups <= 0 {
		l.backups = DefaultBackups
	}
	l.backups = min(l.backups, maxBackups)
	return l
}

// Path returns the file the log is stored in; rotated files are Path()+".1" …
func (l *Log) Path() string {
	return l.path
}

// Append writes ev as one line, filling Time with the current time when zero
// (taken while holding the lock, so such events are in time order in the
// file). The line is written with a single write() on an O_APPEND descriptor
// while holding an exclusive flock on the current file, so concurrent
// appenders never interleave, and rotation happens under the same lock.
func (l *Log) Append(ev Event) error {
	if ev.Type == "" || ev.Action == "" {
		return errdefs.ErrInvalidArgument.WithMessage("append event: type and action are required")
	}
	stamp := ev.Time.IsZero()
	return l.withCurrent(func() ([]byte, error) {
		if stamp {
			ev.Time = time.Now()
		}
		ev.Time = ev.Time.UTC()
		line, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("append event %s %s: %w", ev.Type, ev.Action, err)
		}
		return append(line, '\n'), nil
	})
}

// Decode parses one events log line (with or without its trailing newline).
// A line that is not a JSON event with a type and an action is an
// errdefs.ErrInvalidArgument error.
func Decode(line []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(line, &ev); err != nil {
		return Event{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("decode event: %v", err))
	}
	if ev.Type == "" || ev.Action == "" {
		return Event{}, errdefs.ErrInvalidArgument.WithMessage("decode event: missing type or action")
	}
	return ev, nil
}
