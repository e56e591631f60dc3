package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"
)

// schemaVersion is the PRAGMA user_version of a database whose containers
// table is current; Open writes nothing to such a database.
const schemaVersion = 1

const schema = `
CREATE TABLE IF NOT EXISTS containers (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	image_id TEXT NOT NULL,
	created INTEGER NOT NULL,
	data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS containers_image ON containers(image_id);
`

// Open opens (creating if needed) the database at path. Opening a current
// database writes nothing, but SQLite needs room for its shared-memory file,
// and every write for its WAL. The store keeps a space reserve beside the
// database (path + "-reserve", ReserveSize bytes) and gives it back when the
// filesystem is full: when the database cannot be opened for lack of space,
// and before a commit finds less than lowSpace free. So reading and removing
// work on a full disk; operations that add data check CheckSpace first. A
// database that cannot be opened even so is NoSpace's error.
func Open(path string) (*Store, error) {
	s := &Store{res: reserve{path: path + "-reserve"}}
	db, err := s.openDB(path)
	if err != nil && openNoSpace(err, path) && s.giveBack() {
		db, err = s.openDB(path)
	}
	if err != nil {
		if openNoSpace(err, path) {
			return nil, NoSpace()
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.db = db
	if !s.released.Load() {
		_ = s.res.fill(lowSpace) // make or complete the reserve; a full filesystem shows in CheckSpace
	}
	return s, nil
}

// giveBack deletes the reserve, so that what it held is free for this
// process's database; it reports whether there was any space to give.
func (s *Store) giveBack() bool {
	if !s.res.release() {
		return false
	}
	s.released.Store(true)
	return true
}

// beforeCommit gives the reserve back when the filesystem has less than
// lowSpace free: the commit is about to write its WAL frames.
func (s *Store) beforeCommit() {
	if free := freeBytes(s.res.dir()); free >= 0 && free < lowSpace {
		s.giveBack()
	}
}

// openDB opens the database and brings its schema up to date. Its
// connections give the reserve back before a commit that might not fit.
func (s *Store) openDB(path string) (*sql.DB, error) {
	drv := &sqlite.Driver{}
	drv.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		if h, ok := c.(sqlite.HookRegisterer); ok {
			h.RegisterCommitHook(func() int32 {
				s.beforeCommit()
				return 0 // go on with the commit
			})
		}
		return nil
	})
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=mmap_size(268435456)&_txlock=immediate"
	db := sql.OpenDB(connector{drv: drv, dsn: dsn})
	db.SetMaxOpenConns(4)
	if err := migrate(db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// connector opens connections to one database with a driver of its own,
// whose connection hook is the store's.
type connector struct {
	drv *sqlite.Driver
	dsn string
}

// Connect implements driver.Connector.
func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }

// Driver implements driver.Connector.
func (c connector) Driver() driver.Driver { return c.drv }

// migrate creates the tables of an older or new database; it only reads a
// current one.
func migrate(db *sql.DB) error {
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v >= schemaVersion {
		return nil
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(schema); err != nil {
		return err
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// CheckSpace returns NoSpace's error when the data root's filesystem is full:
// when the space reserve cannot be kept whole (it refills it when it can) or
// less than lowSpace is free besides it, so that a commit would take the
// reserve. Operations that add data call it before they write anything, so
// that a full filesystem leaves reading and removing, which the reserve is
// for, as the only things that run.
func (s *Store) CheckSpace() error {
	if err := s.res.fill(lowSpace); IsNoSpace(err) {
		return err
	}
	// A reserve that cannot be made for another reason stops nothing.
	if free := freeBytes(s.res.dir()); free >= 0 && free < lowSpace {
		return NoSpace()
	}
	return nil
}

// DB gives the database handle to the packages that keep their own tables in it.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database, then refills the space reserve: wholly where
// this process used it and there is room again (closing the last connection
// removes SQLite's WAL and shared-memory files), else leaving lowSpace free.
func (s *Store) Close() error {
	err := s.db.Close()
	keep := int64(lowSpace)
	if s.released.Load() {
		keep = 0
	}
	_ = s.res.fill(keep)
	return err
}
