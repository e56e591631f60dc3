package events

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// maxAttempts bounds how often an append or an open retries after losing a
// race with a rotation in another process.
const maxAttempts = 100

// rotated names the n-th rotated file (n >= 1); n = 0 is the current file.
func (l *Log) rotated(n int) string {
	if n == 0 {
		return l.path
	}
	return l.path + "." + strconv.Itoa(n)
}

// withCurrent locks the current file, asks mk for the line to append and
// writes it, rotating first when the line would take the file past maxSize.
func (l *Log) withCurrent(mk func() ([]byte, error)) error {
	for range maxAttempts {
		done, err := l.tryAppend(mk)
		if done || err != nil {
			return err
		}
	}
	return fmt.Errorf("append to events log %s: the file kept being rotated", l.path)
}

// tryAppend appends one line to the file it opened, unless that file was
// rotated away before it got the lock or it had to rotate it: then it
// returns false and the caller tries again on the new file.
func (l *Log) tryAppend(mk func() ([]byte, error)) (bool, error) {
	f, err := l.openAppend()
	if err != nil {
		return false, err
	}
	defer f.Close()
	fd := int(f.Fd())
	if err := flock(fd, unix.LOCK_EX); err != nil {
		return false, fmt.Errorf("lock events log %s: %w", l.path, err)
	}
	defer flock(fd, unix.LOCK_UN)
	var fst, pst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		return false, fmt.Errorf("stat events log %s: %w", l.path, err)
	}
	if err := unix.Stat(l.path, &pst); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil // rotated away: the next try creates the file
		}
		return false, fmt.Errorf("stat events log %s: %w", l.path, err)
	}
	if fst.Dev != pst.Dev || fst.Ino != pst.Ino {
		return false, nil // rotated away while this process waited for the lock
	}
	line, err := mk()
	if err != nil {
		return false, err
	}
	if l.maxSize > 0 && fst.Size > 0 && fst.Size+int64(len(line)) > l.maxSize {
		return false, l.rotate()
	}
	n, err := unix.Write(fd, line)
	if err == nil && n != len(line) {
		err = fmt.Errorf("short write (%d of %d bytes)", n, len(line))
	}
	if err != nil {
		if n > 0 { // half a line (a full disk) would spoil the next event: take it back
			_ = unix.Ftruncate(fd, fst.Size)
		}
		return false, fmt.Errorf("append to events log %s: %w", l.path, err)
	}
	return true, nil
}

// rotate shifts path.N-1 … path.1 to path.N … path.2 and path to path.1,
// dropping the oldest file and any beyond this log's Backups. The caller
// holds the lock on the current file, so rotations never run concurrently:
// another rotation needs the lock on whichever file is current.
func (l *Log) rotate() error {
	for n := maxBackups; n > l.backups; n-- {
		if err := os.Remove(l.rotated(n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate events log: %w", err)
		}
	}
	for n := l.backups; n >= 1; n-- {
		if err := os.Rename(l.rotated(n-1), l.rotated(n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate events log: %w", err)
		}
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

// openFile is one open file of the log with its identity.
type openFile struct {
	f  *os.File
	fi os.FileInfo
}

// same reports whether o is the file fi describes.
func (o openFile) same(fi os.FileInfo) bool { return os.SameFile(o.fi, fi) }

// openChain opens the rotated files and the current file, oldest first,
// retrying until no rotation moved them while it opened them. cur is false
// when the current file does not exist (the last entry is then a rotated file).
func (l *Log) openChain() (files []openFile, cur bool, err error) {
	for range maxAttempts {
		files, cur, ok, err := l.tryOpenChain()
		if err != nil || ok {
			return files, cur, err
		}
	}
	return nil, false, fmt.Errorf("open events log %s: the files kept being rotated", l.path)
}

func (l *Log) tryOpenChain() ([]openFile, bool, bool, error) {
	opened := make([]openFile, maxBackups+1) // index n holds rotated(n)
	for n := maxBackups; n >= 0; n-- {
		f, err := os.Open(l.rotated(n))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil {
			opened[n].fi, err = f.Stat()
			opened[n].f = f
		}
		if err != nil {
			closeFiles(opened)
			return nil, false, false, fmt.Errorf("open events log %s: %w", l.rotated(n), err)
		}
	}
	// A rotation while opening shows as a name that now names another file.
	for n := range opened {
		st, err := os.Stat(l.rotated(n))
		same := errors.Is(err, os.ErrNotExist) && opened[n].f == nil ||
			err == nil && opened[n].f != nil && opened[n].same(st)
		if !same {
			closeFiles(opened)
			return nil, false, false, nil
		}
	}
	var files []openFile
	for n := maxBackups; n >= 0; n-- {
		if opened[n].f != nil {
			files = append(files, opened[n])
		}
	}
	return files, opened[0].f != nil, true, nil
}

func closeFiles(files []openFile) {
	for _, o := range files {
		if o.f != nil {
			o.f.Close()
		}
	}
}
