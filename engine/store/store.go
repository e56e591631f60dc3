// Package store keeps the engine's records of containers in SQLite (WAL mode),
// which several berth processes may open at once: names are unique by
// constraint, so two processes racing for one name get one winner and one
// ErrAlreadyExists, never a duplicate.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/errdefs"
)

// Store is the engine's database.
type Store struct {
	db       *sql.DB
	res      reserve
	released atomic.Bool // this process gave the reserve back
	// get is Get's first query, prepared once (see getStmt).
	get struct {
		mu sync.Mutex
		st *sql.Stmt
	}
}

// getByIDOrName is Get's first query. Every API request about a container
// begins with it, so it is kept prepared: SQLite parses it once per
// connection, not once a call; each call still reads the database afresh.
const getByIDOrName = `SELECT id, name, image_id, created, data FROM containers WHERE id = ? OR name = ?`

// getStmt is getByIDOrName prepared, or nil when it cannot be (the caller
// then runs it unprepared).
func (s *Store) getStmt(ctx context.Context) *sql.Stmt {
	s.get.mu.Lock()
	defer s.get.mu.Unlock()
	if s.get.st == nil {
		if st, err := s.db.PrepareContext(ctx, getByIDOrName); err == nil {
			s.get.st = st
		}
	}
	return s.get.st
}

// Row is one container's record: its identity plus the engine's JSON document.
type Row struct {
	ID      string
	Name    string
	ImageID string
	Created time.Time
	Data    []byte
}

// Insert adds a container; a taken name is errdefs.ErrAlreadyExists.
func (s *Store) Insert(ctx context.Context, r Row) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO containers(id, name, image_id, created, data) VALUES(?,?,?,?,?)`,
		r.ID, r.Name, r.ImageID, r.Created.UnixNano(), r.Data)
	if isUnique(err) {
		return errdefs.ErrAlreadyExists.WithMessage(fmt.Sprintf("the container name %q is already in use", "/"+r.Name))
	}
	if IsNoSpace(err) {
		return NoSpace()
	}
	if err != nil {
		return fmt.Errorf("insert container %s: %w", r.Name, err)
	}
	return nil
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// Get finds a container by full ID, name, or unique ID prefix.
func (s *Store) Get(ctx context.Context, ref string) (Row, error) {
	ref = strings.TrimPrefix(ref, "/")
	if ref == "" {
		return Row{}, errdefs.ErrInvalidArgument.WithMessage("no container name or ID given")
	}
	var rows []Row
	var err error
	if st := s.getStmt(ctx); st != nil {
		rows, err = scanRows(st.QueryContext(ctx, ref, ref))
	} else {
		rows, err = s.query(ctx, getByIDOrName, ref, ref)
	}
	if err != nil {
		return Row{}, err
	}
	if len(rows) > 0 {
		for _, r := range rows { // an exact ID wins over a name
			if r.ID == ref {
				return r, nil
			}
		}
		return rows[0], nil
	}
	if isHex(ref) {
		rows, err = s.query(ctx, `SELECT id, name, image_id, created, data FROM containers WHERE substr(id, 1, ?) = ?`, len(ref), ref)
		if err != nil {
			return Row{}, err
		}
		if len(rows) == 1 {
			return rows[0], nil
		}
		if len(rows) > 1 {
			return Row{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("multiple containers found with ID prefix %q", ref))
		}
	}
	return Row{}, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("no such container: %s", ref))
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// List returns every container, newest first.
func (s *Store) List(ctx context.Context) ([]Row, error) {
	return s.query(ctx, `SELECT id, name, image_id, created, data FROM containers ORDER BY created DESC`)
}

// Removing returns the IDs of containers whose record is marked as being
// removed (the engine's "Removal" key).
func (s *Store) Removing(ctx context.Context) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM containers WHERE json_extract(CAST(data AS TEXT), '$.Removal') IS NOT NULL`)
}

// IDs returns the set of every stored container's ID, in one query.
func (s *Store) IDs(ctx context.Context) (map[string]bool, error) {
	ids, err := s.ids(ctx, `SELECT id FROM containers`)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

// ids runs q, which selects one ID column.
func (s *Store) ids(ctx context.Context, q string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("query containers: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read container row: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// UsingImage returns the IDs of containers made from imageID.
func (s *Store) UsingImage(ctx context.Context, imageID string) ([]string, error) {
	rows, err := s.query(ctx, `SELECT id, name, image_id, created, data FROM containers WHERE image_id = ?`, imageID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids, nil
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Row, error) {
	return scanRows(s.db.QueryContext(ctx, q, args...))
}

// scanRows reads the rows of a containers query.
func scanRows(rs *sql.Rows, err error) ([]Row, error) {
	if err != nil {
		return nil, fmt.Errorf("query containers: %w", err)
	}
	defer rs.Close()
	var out []Row
	for rs.Next() {
		var r Row
		var created int64
		if err := rs.Scan(&r.ID, &r.Name, &r.ImageID, &created, &r.Data); err != nil {
			return nil, fmt.Errorf("read container row: %w", err)
		}
		r.Created = time.Unix(0, created).UTC()
		out = append(out, r)
	}
	return out, rs.Err()
}

// Update replaces a container's JSON document.
func (s *Store) Update(ctx context.Context, id string, data []byte) error {
	res, err := s.db.ExecContext(ctx, `UPDATE containers SET data = ? WHERE id = ?`, data, id)
	return affected(res, err, id)
}

// Rename gives a container a new name; a taken name is errdefs.ErrAlreadyExists.
func (s *Store) Rename(ctx context.Context, id, name string, data []byte) error {
	res, err := s.db.ExecContext(ctx, `UPDATE containers SET name = ?, data = ? WHERE id = ?`, name, data, id)
	if isUnique(err) {
		return errdefs.ErrAlreadyExists.WithMessage(fmt.Sprintf("the container name %q is already in use", "/"+name))
	}
	return affected(res, err, id)
}

// Delete removes a container's record.
func (s *Store) Delete(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM containers WHERE id = ?`, id)
	return affected(res, err, id)
}

func affected(res sql.Result, err error, id string) error {
	if IsNoSpace(err) {
		return NoSpace()
	}
	if err != nil {
		return fmt.Errorf("container %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("no such container: %s", id))
	}
	return nil
}
