package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
// marker itself). It costs one stat when there is nothing to do.
func (s *Store) Recover(ctx context.Context) error {
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
