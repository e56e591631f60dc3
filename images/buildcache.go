package images

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

const buildCacheSchema = `
CREATE TABLE IF NOT EXISTS img_build_cache (
	key TEXT PRIMARY KEY,
	image_id TEXT NOT NULL,
	created INTEGER NOT NULL,
	size INTEGER NOT NULL DEFAULT 0
);
`

// migrateBuildCache adds the size column to a table made before it existed.
func migrateBuildCache(db *sql.DB) error {
	return addColumn(db, "img_build_cache", "size INTEGER NOT NULL DEFAULT 0")
}

// addColumn adds the column def ("name TYPE ...") to table when a store made
// before it lacks it.
func addColumn(db *sql.DB, table, def string) error {
	name, _, _ := strings.Cut(def, " ")
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?", table, name).Scan(&n); err != nil {
		return fmt.Errorf("%s table: %w", table, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := db.Exec("ALTER TABLE " + table + " ADD COLUMN " + def); err != nil && !strings.Contains(err.Error(), "duplicate column") {
		return fmt.Errorf("%s table: %w", table, err)
	}
	return nil
}

// CacheLookup returns the image a build step with this cache key made
// before, if it is still in the store.
func (s *Store) CacheLookup(ctx context.Context, key string) (*Image, bool, error) {
	// One query: the entry's image, if the store still has it (else a miss),
	// prepared once for the build's steps.
	img, err := scanImage(s.queryRowPrepared(ctx, s.db, imageSelect+" WHERE id = (SELECT image_id FROM img_build_cache WHERE key = ?)", key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("build cache: %w", err)
	}
	return img, true, nil
}

// CacheStore records that the build step with this cache key made image id,
// with the size of the layer the step added (0 for a config change).
func (s *Store) CacheStore(ctx context.Context, key, id string) error {
	var size int64
	if img, err := s.loadImage(ctx, s.db, id); err == nil && len(img.Layers) > 0 {
		parentLayers := 0
		if parent, err := s.loadImage(ctx, s.db, img.Parent); err == nil {
			parentLayers = len(parent.Layers)
		}
		if len(img.Layers) > parentLayers {
			size = img.Layers[len(img.Layers)-1].Size
		}
	}
	if _, err := s.db.ExecContext(ctx, "INSERT OR REPLACE INTO img_build_cache (key, image_id, created, size) VALUES (?, ?, ?, ?)",
		key, id, time.Now().UnixNano(), size); err != nil {
		return fmt.Errorf("build cache: %w", err)
	}
	return nil
}
