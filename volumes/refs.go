package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
)

// Remove deletes a volume and its data. A volume in use is errdefs.ErrConflict naming
// its containers, whatever force says; force only turns not-found into success.
func (s *Store) Remove(ctx context.Context, name string, force bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	defer tx.Rollback()
	v, err := getTx(ctx, tx, s, name)
	if err != nil {
		if force && errors.Is(err, errdefs.ErrNotFound) {
			return nil
		}
		return err
	}
	users, err := usersOf(ctx, tx, name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("remove %s: volume is in use - [%s]", name, strings.Join(users, ", ")))
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM vol_volumes WHERE name=?`, name); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	// Held until the data is gone (the lock follows the directory's move): a
	// mount, a check or a recovery in another process leaves alone what this
	// live removal has not deleted yet.
	if unlock := lockDir(s.dir(name)); unlock != nil {
		defer unlock()
	}
	if v.mounted() {
		if err := unmountUnder(s.dir(name)); err != nil {
			return fmt.Errorf("remove volume %s: %w", name, err)
		}
	}
	// Move the data aside before committing so that a failure leaves the record
	// and its data together; the move is undone if the commit fails.
	trash := filepath.Join(s.root, "_removing-"+name) // "_" never starts a volume name
	if err := os.Rename(s.dir(name), trash); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	s.at("volume.rm.moved-aside")
	if err := tx.Commit(); err != nil {
		os.Rename(trash, s.dir(name))
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	s.at("volume.rm.committed")
	s.forgetSize(name)
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("remove data of volume %s: %w", name, err)
	}
	return nil
}

// Prune removes the volumes no container uses — only anonymous ones unless all, as
// Docker 23+ — and returns their names and the bytes reclaimed.
func (s *Store) Prune(ctx context.Context, all bool) ([]string, uint64, error) {
	vols, err := s.List(ctx, map[string][]string{"dangling": {"true"}})
	if err != nil {
		return nil, 0, err
	}
	removed := []string{}
	var reclaimed uint64
	for _, v := range vols {
		if !v.Anonymous && !all {
			continue
		}
		size, _ := dirSize(v.Mountpoint)
		err := s.Remove(ctx, v.Name, true)
		if errors.Is(err, errdefs.ErrConflict) {
			continue // taken into use meanwhile
		}
		if err != nil {
			return removed, reclaimed, err
		}
		removed = append(removed, v.Name)
		reclaimed += uint64(size)
	}
	return removed, reclaimed, nil
}

// Use records that containerID references the volume; an unknown volume is
// errdefs.ErrNotFound. Recording the same reference twice is harmless.
func (s *Store) Use(ctx context.Context, name, containerID string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("use volume %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM vol_volumes WHERE name=?`, name).Scan(&n); err != nil {
		return fmt.Errorf("use volume %s: %w", name, err)
	}
	if n == 0 {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("use %s: no such volume", name))
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO vol_refs(name, container_id) VALUES(?,?)`, name, containerID); err != nil {
		return fmt.Errorf("use volume %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("use volume %s: %w", name, err)
	}
	return nil
}

// Release drops every reference of containerID and returns the names of the
// anonymous volumes it referenced (those `rm -v` removes next), sorted. A
// mounted volume (see Mount) that no container references any more is
// unmounted.
func (s *Store) Release(ctx context.Context, containerID string) ([]string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("release volumes of %s: %w", containerID, err)
	}
	defer tx.Rollback()
	anon, mounted, err := referenced(ctx, tx, containerID)
	if err != nil {
		return nil, fmt.Errorf("release volumes of %s: %w", containerID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM vol_refs WHERE container_id=?`, containerID); err != nil {
		return nil, fmt.Errorf("release volumes of %s: %w", containerID, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("release volumes of %s: %w", containerID, err)
	}
	if err := s.unmountIdle(ctx, mounted); err != nil {
		return anon, fmt.Errorf("release volumes of %s: %w", containerID, err)
	}
	return anon, nil
}

// referenced lists the anonymous volumes containerID references and those
// made with driver options, each sorted.
func referenced(ctx context.Context, q queryer, containerID string) (anon, withOpts []string, err error) {
	rows, err := q.QueryContext(ctx, `SELECT r.name, v.anonymous, v.options != '{}' FROM vol_refs r
		JOIN vol_volumes v ON v.name = r.name WHERE r.container_id=? ORDER BY r.name`, containerID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	anon = []string{}
	for rows.Next() {
		var n string
		var isAnon, hasOpts bool
		if err := rows.Scan(&n, &isAnon, &hasOpts); err != nil {
			return nil, nil, err
		}
		if isAnon {
			anon = append(anon, n)
		}
		if hasOpts {
			withOpts = append(withOpts, n)
		}
	}
	return anon, withOpts, rows.Err()
}
