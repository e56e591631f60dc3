package images

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/containerd/errdefs"
)

const buildCacheSchema = `
CREATE TABLE IF NOT EXISTS img_build_cache (
	key TEXT PRIMARY KEY,
	image_id TEXT NOT NULL,
	created INTEGER NOT NULL
);
`

// CacheLookup returns the image a build step with this cache key made
// before, if it is still in the store.
func (s *Store) CacheLookup(ctx context.Context, key string) (*Image, bool, error) {
	var id string
	err := s.db.QueryRowContext(ctx, "SELECT image_id FROM img_build_cache WHERE key = ?", key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("build cache: %w", err)
	}
	img, err := s.loadImage(ctx, s.db, id)
	if errdefs.IsNotFound(err) {
		return nil, false, nil // the image was removed since: a miss
	}
	if err != nil {
		return nil, false, err
	}
	return img, true, nil
}

// CacheStore records that the build step with this cache key made image id.
func (s *Store) CacheStore(ctx context.Context, key, id string) error {
	if _, err := s.db.ExecContext(ctx, "INSERT OR REPLACE INTO img_build_cache (key, image_id, created) VALUES (?, ?, ?)",
		key, id, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("build cache: %w", err)
	}
	return nil
}
