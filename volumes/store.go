// Package volumes manages berth's local volumes — named and anonymous directories
// under the data root, recorded with their labels and users in the engine's SQLite
// database — and parses, prepares and fills mounts as Docker does: -v, --mount and
// --tmpfs specs, copy-up of image content into a new volume, and the archive side
// of `berth cp` with paths resolved inside a container's root.
//
// It imports nothing else of berth; the engine composes it.
package volumes

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
)

// DriverLocal is the only volume driver berth has.
const DriverLocal = "local"

// nameRe is Docker's rule for volume names.
var nameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

const schema = `
CREATE TABLE IF NOT EXISTS vol_volumes (
	name TEXT PRIMARY KEY,
	labels TEXT NOT NULL,
	created INTEGER NOT NULL,
	anonymous INTEGER NOT NULL,
	options TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS vol_refs (
	name TEXT NOT NULL,
	container_id TEXT NOT NULL,
	PRIMARY KEY (name, container_id)
);
CREATE INDEX IF NOT EXISTS vol_refs_container ON vol_refs(container_id);
`

// Volume is one local volume as `volume inspect` shows it.
type Volume struct {
	Name       string
	Driver     string // always "local"
	Mountpoint string // <root>/<name>/_data
	Labels     map[string]string
	Options    map[string]string // the local driver's type, device and o; nil when none
	CreatedAt  time.Time
	Anonymous  bool
	UsedBy     []string // IDs of the containers that reference it
}

// Store keeps volumes under one root directory and in vol_* tables of a database
// shared with other berth processes.
type Store struct {
	root string
	db   *sql.DB

	mu    sync.Mutex
	sizes map[string]*sizeEntry

	fault func(point string) // see SetFault
}

// SetFault gives the store a hook to call at each named point between the
// steps of its multi-step changes ("volume.create.dir-made" …); berth's engine
// passes its kill-anywhere fault (package berth/engine/fault), so that a test
// can kill the process there. nil (the default) calls nothing.
func (s *Store) SetFault(f func(point string)) { s.fault = f }

// at calls the fault hook at a named point.
func (s *Store) at(point string) {
	if s.fault != nil {
		s.fault(point)
	}
}

// Open prepares root (<dataroot>/volumes) and the vol_* tables in db.
func Open(root string, db *sql.DB) (*Store, error) {
	if err := os.MkdirAll(root, 0o701); err != nil {
		return nil, fmt.Errorf("create volumes root %s: %w", root, err)
	}
	if _, err := db.Exec(schema); err != nil {
		return nil, fmt.Errorf("init volume tables: %w", err)
	}
	if err := addOptionsColumn(db); err != nil {
		return nil, err
	}
	return &Store{root: root, db: db, sizes: map[string]*sizeEntry{}}, nil
}

// Root is the directory that holds the volumes.
func (s *Store) Root() string { return s.root }

// MaxNameLen is the longest volume name: the name is one directory entry.
const MaxNameLen = 255

// ValidateName checks a volume name against Docker's rule and the length of
// one directory entry; an invalid name is errdefs.ErrInvalidArgument.
func ValidateName(name string) error {
	if len(name) > MaxNameLen {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("volume name is %d bytes long; at most %d are allowed", len(name), MaxNameLen))
	}
	if !nameRe().MatchString(name) || strings.Contains(name, "..") {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q includes invalid characters for a local volume name, only %q are allowed", name, "[a-zA-Z0-9][a-zA-Z0-9_.-]"))
	}
	return nil
}

func (s *Store) dir(name string) string { return filepath.Join(s.root, name) }

func (s *Store) mountpoint(name string) string { return filepath.Join(s.root, name, "_data") }

// addOptionsColumn gives a volume table made before volumes had driver
// options its options column (two processes opening at once may both try).
func addOptionsColumn(db *sql.DB) error {
	rows, err := db.Query(`SELECT options FROM vol_volumes LIMIT 0`)
	if err == nil {
		return rows.Close()
	}
	if !strings.Contains(err.Error(), "no such column") {
		return fmt.Errorf("init volume tables: %w", err)
	}
	_, err = db.Exec(`ALTER TABLE vol_volumes ADD COLUMN options TEXT NOT NULL DEFAULT '{}'`)
	if err != nil && !strings.Contains(err.Error(), "duplicate column") {
		return fmt.Errorf("add the options column to the volume table: %w", err)
	}
	return nil
}

// Create makes a volume; name "" makes an anonymous one with a random 64-hex name.
// Creating an existing name returns the existing volume, as `docker volume create`.
// opts are the local driver's mount options (see ValidateOptions).
func (s *Store) Create(ctx context.Context, name string, labels, opts map[string]string) (*Volume, error) {
	if err := ValidateOptions(opts); err != nil {
		return nil, err
	}
	if len(opts) == 0 {
		opts = nil
	}
	anonymous := name == ""
	if anonymous {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("random volume name: %w", err)
		}
		name = hex.EncodeToString(b)
	} else if err := ValidateName(name); err != nil {
		return nil, err
	}
	if labels == nil {
		labels = map[string]string{}
	}
	lj, err := json.Marshal(labels)
	if err != nil {
		return nil, fmt.Errorf("encode labels of volume %s: %w", name, err)
	}
	oj, err := json.Marshal(opts)
	if err != nil || opts == nil {
		oj = []byte("{}")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("create volume %s: %w", name, err)
	}
	defer tx.Rollback()
	if v, err := getTx(ctx, tx, s, name); err == nil {
		return v, nil
	} else if !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	if err := os.MkdirAll(s.dir(name), 0o701); err != nil {
		return nil, fmt.Errorf("create volume %s: %w", name, err)
	}
	if err := os.Mkdir(s.mountpoint(name), 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create volume %s: %w", name, err)
	}
	s.at("volume.create.dir-made")
	now := time.Now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO vol_volumes(name, labels, created, anonymous, options) VALUES(?,?,?,?,?)`,
		name, string(lj), now.UnixNano(), anonymous, string(oj)); err != nil {
		os.RemoveAll(s.dir(name))
		return nil, fmt.Errorf("record volume %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		os.RemoveAll(s.dir(name))
		return nil, fmt.Errorf("record volume %s: %w", name, err)
	}
	return &Volume{Name: name, Driver: DriverLocal, Mountpoint: s.mountpoint(name), Labels: labels,
		Options: opts, CreatedAt: now, Anonymous: anonymous, UsedBy: []string{}}, nil
}

// queryer is what *sql.DB and *sql.Tx share.
type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func getTx(ctx context.Context, q queryer, s *Store, name string) (*Volume, error) {
	var lj, oj string
	var created int64
	var anon bool
	err := q.QueryRowContext(ctx, `SELECT labels, created, anonymous, options FROM vol_volumes WHERE name=?`, name).
		Scan(&lj, &created, &anon, &oj)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("get %s: no such volume", name))
	}
	if err != nil {
		return nil, fmt.Errorf("get volume %s: %w", name, err)
	}
	v := &Volume{Name: name, Driver: DriverLocal, Mountpoint: s.mountpoint(name),
		CreatedAt: time.Unix(0, created), Anonymous: anon}
	if err := json.Unmarshal([]byte(lj), &v.Labels); err != nil {
		return nil, fmt.Errorf("decode labels of volume %s: %w", name, err)
	}
	if oj != "{}" {
		if err := json.Unmarshal([]byte(oj), &v.Options); err != nil {
			return nil, fmt.Errorf("decode options of volume %s: %w", name, err)
		}
	}
	users, err := usersOf(ctx, q, name)
	if err != nil {
		return nil, err
	}
	v.UsedBy = users
	return v, nil
}

func usersOf(ctx context.Context, q queryer, name string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT container_id FROM vol_refs WHERE name=? ORDER BY container_id`, name)
	if err != nil {
		return nil, fmt.Errorf("users of volume %s: %w", name, err)
	}
	defer rows.Close()
	users := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("users of volume %s: %w", name, err)
		}
		users = append(users, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("users of volume %s: %w", name, err)
	}
	return users, nil
}

// Get returns one volume; an unknown name is errdefs.ErrNotFound.
func (s *Store) Get(ctx context.Context, name string) (*Volume, error) {
	return getTx(ctx, s.db, s, name)
}

// names lists every volume name, sorted.
func (s *Store) names(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM vol_volumes ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list volumes: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	return names, nil
}

// List returns the volumes matching every filter key (values of one key are ORed),
// sorted by name: dangling=true|false, name=<regexp>, label=k or label=k=v,
// driver=local. An unknown key or bad value is errdefs.ErrInvalidArgument.
func (s *Store) List(ctx context.Context, filters map[string][]string) ([]Volume, error) {
	match, err := compileFilters(filters)
	if err != nil {
		return nil, err
	}
	names, err := s.names(ctx)
	if err != nil {
		return nil, err
	}
	out := []Volume{}
	for _, n := range names {
		v, err := s.Get(ctx, n)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // removed meanwhile by another process
		}
		if err != nil {
			return nil, err
		}
		if match(v) {
			out = append(out, *v)
		}
	}
	return out, nil
}

func compileFilters(filters map[string][]string) (func(*Volume) bool, error) {
	var preds []func(*Volume) bool
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, err := filterFor(k, filters[k])
		if err != nil {
			return nil, err
		}
		if p != nil {
			preds = append(preds, p)
		}
	}
	return func(v *Volume) bool {
		for _, p := range preds {
			if !p(v) {
				return false
			}
		}
		return true
	}, nil
}

// filterFor builds the predicate of one filter key: any of vals matches.
func filterFor(key string, vals []string) (func(*Volume) bool, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	var ors []func(*Volume) bool
	for _, val := range vals {
		switch key {
		case "dangling":
			want, ok := map[string]bool{"true": true, "1": true, "false": false, "0": false}[val]
			if !ok {
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter 'dangling=%s'", val))
			}
			ors = append(ors, func(v *Volume) bool { return (len(v.UsedBy) == 0) == want })
		case "name":
			re, err := regexp.Compile(val)
			if err != nil {
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter 'name=%s': %v", val, err))
			}
			ors = append(ors, func(v *Volume) bool { return re.MatchString(v.Name) })
		case "label":
			k, want, hasVal := strings.Cut(val, "=")
			ors = append(ors, func(v *Volume) bool {
				got, ok := v.Labels[k]
				return ok && (!hasVal || got == want)
			})
		case "driver":
			ors = append(ors, func(v *Volume) bool { return v.Driver == val })
		default:
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s'", key))
		}
	}
	return func(v *Volume) bool {
		for _, p := range ors {
			if p(v) {
				return true
			}
		}
		return false
	}, nil
}
