package images

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the store's hottest queries (the image record reads behind
// every image list, inspect and container create) prepared, so that SQLite
// parses their SQL once per connection rather than once per call: parsing
// imageSelect, with its two sub-selects, was a third of `GET /images/json`'s
// time in berth serve. Only statements are kept: every call runs its query
// afresh on the database, so a change another process made is always seen.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// stmt returns the store's prepared statement for query, preparing it on
// first use; it fails when the database cannot prepare it (the caller then
// runs the query unprepared).
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// queryPrepared runs query on q through the store's prepared statement.
func (s *Store) queryPrepared(ctx context.Context, q queryer, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmtFor(ctx, q, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.QueryContext(ctx, query, args...)
}

// stmtFor is the store's prepared statement for query on q: the store's
// database, or a transaction of it (which uses the statement on its own
// connection, prepared there once); nil when there is none.
func (s *Store) stmtFor(ctx context.Context, q queryer, query string) *sql.Stmt {
	switch q := q.(type) {
	case *sql.DB:
		if q != s.db {
			return nil
		}
		st, err := s.stmt(ctx, query)
		if err != nil {
			return nil
		}
		return st
	case *sql.Tx:
		st, err := s.stmt(ctx, query)
		if err != nil {
			return nil
		}
		return q.StmtContext(ctx, st) // closed with the transaction
	}
	return nil
}

// queryRowPrepared is queryPrepared for a query of one row.
func (s *Store) queryRowPrepared(ctx context.Context, q queryer, query string, args ...any) *sql.Row {
	if st := s.stmtFor(ctx, q, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.QueryRowContext(ctx, query, args...)
}
