package images

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const leaseSchema = `
CREATE TABLE IF NOT EXISTS img_leases (
	holder TEXT PRIMARY KEY,
	image_id TEXT NOT NULL,
	acquired INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS img_leases_image ON img_leases(image_id);
`

// Acquire resolves ref and records that holder (a container ID) uses the
// image, in one transaction: an image that Remove or Prune is deleting is
// either gone (errdefs.ErrNotFound) or kept, with its layers, until Release.
// Acquiring again for the same holder moves its reference to the new image.
func (s *Store) Acquire(ctx context.Context, ref, holder string) (*Image, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("reference image %s: %w", ref, err)
	}
	defer tx.Rollback()
	img, err := s.resolve(ctx, tx, ref)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO img_leases (holder, image_id, acquired) VALUES (?, ?, ?)",
		holder, img.ID, time.Now().UnixNano()); err != nil {
		return nil, fmt.Errorf("reference image %s: %w", ref, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("reference image %s: %w", ref, err)
	}
	return img, nil
}

// Release drops holder's reference to its image; releasing a holder without
// one does nothing. The image's layers go at the next garbage collection
// once nothing else uses them.
func (s *Store) Release(ctx context.Context, holder string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM img_leases WHERE holder = ?", holder); err != nil {
		return fmt.Errorf("release image reference of %s: %w", holder, err)
	}
	return nil
}

// ReleaseStale drops the references taken more than age ago whose holder
// alive reports gone: a process killed between Acquire and storing its
// container leaves one, which would keep the image forever.
func (s *Store) ReleaseStale(ctx context.Context, age time.Duration, alive func(holder string) bool) error {
	before := time.Now().Add(-age).UnixNano()
	rows, err := s.db.QueryContext(ctx, "SELECT holder, acquired FROM img_leases WHERE acquired < ?", before)
	if err != nil {
		return fmt.Errorf("list image references: %w", err)
	}
	type lease struct {
		holder   string
		acquired int64
	}
	var stale []lease
	for rows.Next() {
		var l lease
		if err := rows.Scan(&l.holder, &l.acquired); err != nil {
			rows.Close()
			return fmt.Errorf("list image references: %w", err)
		}
		stale = append(stale, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list image references: %w", err)
	}
	for _, l := range stale {
		if alive(l.holder) {
			continue
		}
		// Only that reference: the holder may have taken a new one since.
		if _, err := s.db.ExecContext(ctx, "DELETE FROM img_leases WHERE holder = ? AND acquired = ?", l.holder, l.acquired); err != nil {
			return fmt.Errorf("release image reference of %s: %w", l.holder, err)
		}
	}
	return nil
}

// Holders lists who holds an image reference (see Acquire): the IDs of
// containers being created, or of containers a create killed halfway left.
func (s *Store) Holders(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, "list image references", "SELECT holder FROM img_leases ORDER BY holder")
}

// User is a container that uses an image, as a refusal to remove the image
// names it: dockerd's words differ for a running and a stopped one.
type User struct {
	// ID is the container's ID.
	ID string
	// Running is whether the container is running (paused and restarting
	// count as running, as dockerd's IsRunning).
	Running bool
}

// UsersFunc lists the containers the store does not know of that use an
// image (the engine's containers).
type UsersFunc func(imageID string) ([]User, error)

// usage is who uses an image: the first running and the first stopped
// container ("" for none), and whether anything does.
type usage struct {
	running, stopped string
	used             bool
}

// imageUsage is who uses the image: users' containers, and any holder
// (see Acquire) users does not list, which counts as stopped.
func imageUsage(ctx context.Context, tx *sql.Tx, id string, users UsersFunc) (usage, error) {
	var u usage
	if users != nil {
		list, err := users(id)
		if err != nil {
			return usage{}, fmt.Errorf("look up users of image %s: %w", id, err)
		}
		for _, c := range list {
			u.used = true
			switch {
			case c.Running && u.running == "":
				u.running = c.ID
			case !c.Running && u.stopped == "":
				u.stopped = c.ID
			}
		}
	}
	if h := firstHolder(ctx, tx, id); h != "" {
		u.used = true
		if u.running == "" && u.stopped == "" {
			u.stopped = h
		}
	}
	return u, nil
}

// inUse reports whether a container in users uses an image; an error
// counts as in use, so that nothing is removed on a doubt.
func (users UsersFunc) inUse(id string) bool {
	if users == nil {
		return false
	}
	l, err := users(id)
	return err != nil || len(l) > 0
}

// stoppedWord names a stopped container in an error, as dockerd does, or
// as "a container" when it is not known.
func stoppedWord(id string) string {
	if id == "" {
		return "a container"
	}
	return "stopped container " + shortID(id)
}

// anyUser is a container that uses the image, a running one first ("" if
// none is known).
func (u usage) anyUser() string {
	if u.running != "" {
		return u.running
	}
	return u.stopped
}

// held reports whether some holder references the image, or inUse says a
// user the store does not know of needs it.
func held(ctx context.Context, tx *sql.Tx, id string, inUse func(string) bool) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM img_leases WHERE image_id = ?", id).Scan(&n); err != nil {
		return false, fmt.Errorf("look up users of image %s: %w", id, err)
	}
	return n > 0 || (inUse != nil && inUse(id)), nil
}

// firstHolder is the ID of the first container that took a reference to the
// image ("" if none did, or the lookup failed): an error names it, as dockerd's.
func firstHolder(ctx context.Context, tx *sql.Tx, id string) string {
	var holder string
	if err := tx.QueryRowContext(ctx, "SELECT holder FROM img_leases WHERE image_id = ? ORDER BY acquired LIMIT 1", id).Scan(&holder); err != nil {
		return ""
	}
	return holder
}

// containerWord names a container in an error by its short ID, as dockerd
// does, or as "a container" when it is not known.
func containerWord(id string) string {
	if id == "" {
		return "a container"
	}
	return "container " + shortID(id)
}
