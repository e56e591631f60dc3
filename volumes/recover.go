package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Recover completes what a process killed while creating or removing a
// volume left: a directory whose create never committed its record is
// removed; data a removal moved aside ("_removing-NAME") goes back when the
// removal never committed (the record is still there), and is deleted when
// it did. On a database opened as the engine opens it (_txlock=immediate:
// every transaction takes the write lock at its start), Create and Remove
// hold the write lock from their first step to their commit, so what Recover
// finds under that lock is not in flight. It reads the directory and the names first and takes the lock only
// when something is out of place.
func (s *Store) Recover(ctx context.Context) error {
	strays, err := s.strays(ctx)
	if err != nil || len(strays) == 0 {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: no Create or Remove in flight
	if err != nil {
		return fmt.Errorf("recover volumes: %w", err)
	}
	defer tx.Rollback()
	if strays, err = s.strays(ctx); err != nil {
		return err
	}
	var errs []error
	for _, name := range strays {
		errs = append(errs, s.recoverOne(ctx, tx, name))
	}
	return errors.Join(errs...)
}

// Strays lists the entries of the volumes directory that no record owns:
// directories of volumes whose create was killed, and data moved aside by a
// removal that was killed ("_removing-NAME").
func (s *Store) Strays(ctx context.Context) ([]string, error) { return s.strays(ctx) }

func (s *Store) strays(ctx context.Context) ([]string, error) {
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	names, err := s.recordNames(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() || names[e.Name()] {
			continue
		}
		if strings.HasPrefix(e.Name(), "_removing-") && !lockFree(filepath.Join(s.root, e.Name())) {
			continue // a live removal is deleting it
		}
		out = append(out, e.Name())
	}
	return out, nil
}

// lockDir takes an exclusive flock on the directory p, returning its
// release; nil when p cannot be opened or locked.
func lockDir(p string) func() {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX) != nil {
		f.Close()
		return nil
	}
	return func() { f.Close() }
}

// lockFree reports whether nobody holds the directory p's flock (a dir
// that is gone is free).
func lockFree(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return true
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil
}

func (s *Store) recordNames(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM vol_volumes`)
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list volumes: %w", err)
		}
		out[n] = true
	}
	return out, rows.Err()
}

// recoverOne puts one stray entry right; the caller holds the write lock.
func (s *Store) recoverOne(ctx context.Context, tx queryer, entry string) error {
	p := filepath.Join(s.root, entry)
	if name, ok := strings.CutPrefix(entry, "_removing-"); ok {
		if _, err := getTx(ctx, tx, s, name); err == nil {
			if err := os.Rename(p, s.dir(name)); err != nil {
				return fmt.Errorf("restore volume %s: %w", name, err)
			}
			return nil
		}
	}
	if err := unmountUnder(p); err != nil {
		return fmt.Errorf("remove stray volume directory %s: %w", entry, err)
	}
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("remove stray volume directory %s: %w", entry, err)
	}
	return nil
}
