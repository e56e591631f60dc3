package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A change of the store's blobs or records (commit, removal, prune) is
// bracketed by a marker file: written, under the store lock, before the first
// blob moves or record goes, and removed once the garbage is collected and
// index.json rewritten. A process killed in between leaves the marker; the
// next one that takes the store lock (at Open, or before its own change)
// collects the garbage the killed one left: blobs stored but never recorded,
// blobs and snapshots of a removed image, a stale index.json.

func (s *Store) dirtyPath() string { return filepath.Join(s.root, "dirty") }

// beginChange marks the store as being changed; the caller holds the store
// lock. A marker left by a killed process is cleared first.
func (s *Store) beginChange(ctx context.Context) error {
	if _, err := os.Stat(s.dirtyPath()); err == nil {
		if err := s.collect(ctx); err != nil {
			return err
		}
	}
	if err := os.WriteFile(s.dirtyPath(), nil, 0o600); err != nil {
		return fmt.Errorf("mark image store: %w", err)
	}
	return nil
}

// endChange removes the marker once the change is complete (its garbage
// collected, index.json rewritten); the caller holds the store lock.
func (s *Store) endChange() error {
	if err := os.Remove(s.dirtyPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unmark image store: %w", err)
	}
	return nil
}

// collect is the garbage collection and index rewrite that clear the marker.
func (s *Store) collect(ctx context.Context) error {
	if _, err := s.gc(ctx); err != nil {
		return err
	}
	if err := s.syncIndex(ctx); err != nil {
		return err
	}
	return s.endChange()
}

// Recover completes what a process killed while changing the store left (see
// beginChange), unless another process holds the store lock (it clears the
// marker itself), and removes the temp and unpack dirs of killed processes
// (see sweepTemps). It costs a stat and two short directory reads when there
// is nothing to do.
func (s *Store) Recover(ctx context.Context) error {
	s.sweepTemps(true)
	if _, err := os.Stat(s.dirtyPath()); err != nil {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(s.root, "lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("open store lock: %w", err)
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return nil
	}
	if _, err := os.Stat(s.dirtyPath()); err != nil {
		return nil // cleared meanwhile
	}
	return s.collect(ctx)
}

// deadLayoutTemps lists the temp files of atomic writes (".tmp-…") in the
// OCI layout's blob directory and beside index.json; the caller holds the
// store lock, as every such writer does, so they are all of killed writers.
func (s *Store) deadLayoutTemps() []string {
	var out []string
	for _, dir := range []string{string(s.lp), filepath.Join(string(s.lp), "blobs", "sha256")} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	return out
}

// newTempGrace is how long a ".new-" temp dir (made, not yet locked: see
// tmpDir) is left alone.
const newTempGrace = time.Minute

// sweepTemps finds, and with remove deletes, what killed processes left in
// the store's work areas: temp dirs under tmp/ whose maker's lock is free,
// and unpack dirs under snapshots/ (".tmp-KEY-…") whose snapshot lock is
// free, with the short link such an unpack made. It returns their paths.
func (s *Store) sweepTemps(remove bool) []string {
	var out []string
	tdir := filepath.Join(s.root, "tmp")
	ents, _ := os.ReadDir(tdir)
	for _, e := range ents {
		p := filepath.Join(tdir, e.Name())
		if strings.HasPrefix(e.Name(), ".new-") {
			if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < newTempGrace {
				continue
			}
		} else if !lockFree(p, false) {
			continue
		}
		out = append(out, p)
		if remove {
			_ = os.RemoveAll(p)
		}
	}
	sdir := filepath.Join(s.root, "snapshots")
	ents, _ = os.ReadDir(sdir)
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), ".tmp-")
		i := strings.LastIndexByte(rest, '-')
		if !ok || i <= 0 || !lockFree(filepath.Join(s.root, "locks", "snapshot-"+rest[:i]), true) {
			continue
		}
		p := filepath.Join(sdir, e.Name())
		out = append(out, p)
		if remove {
			s.dropUnpack(p)
		}
	}
	return out
}

// dropUnpack removes the dir of a killed unpack and its short link, if made.
func (s *Store) dropUnpack(dir string) {
	if b, err := os.ReadFile(filepath.Join(dir, "link")); err == nil {
		if name := strings.TrimSpace(string(b)); name != "" && !strings.ContainsAny(name, "/.") {
			link := filepath.Join(s.root, "l", name)
			if _, err := os.Stat(link); err != nil { // dangling: its snapshot never came
				_ = os.Remove(link)
			}
		}
	}
	_ = os.RemoveAll(dir)
}

// lockFree reports whether nobody holds an flock on path. A missing file is
// free when missingFree (a lock file), taken (gone meanwhile) otherwise.
func lockFree(path string, missingFree bool) bool {
	f, err := os.Open(path)
	if err != nil {
		return missingFree && errors.Is(err, os.ErrNotExist)
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) == nil
}
