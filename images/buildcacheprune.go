package images

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CacheEntry is one piece of build cache, as `docker system df -v` lists it.
type CacheEntry struct {
	// ID is the step's cache key (or the cache mount's directory name).
	ID string
	// Type is "regular" (a build step) or "exec.cachemount" (RUN --mount=type=cache).
	Type        string
	Description string
	Size        int64
	Created     time.Time
	// InUse: a container uses the step's image; Shared: a kept image (tagged,
	// or under a tagged one or a container's) holds its layer, so pruning the
	// entry frees nothing.
	InUse, Shared bool
}

// Reclaimable says whether pruning the entry frees its size.
func (c CacheEntry) Reclaimable() bool { return !c.InUse && !c.Shared }

// BuildCache lists the build cache: each step recorded, and each cache mount.
func (s *Store) BuildCache(ctx context.Context, inUse func(imageID string) bool) ([]CacheEntry, error) {
	kept, used, err := s.keptImages(ctx, inUse)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT key, image_id, created, size FROM img_build_cache ORDER BY created")
	if err != nil {
		return nil, fmt.Errorf("build cache: %w", err)
	}
	defer rows.Close()
	var out []CacheEntry
	for rows.Next() {
		var key, id string
		var created, size int64
		if err := rows.Scan(&key, &id, &created, &size); err != nil {
			return nil, fmt.Errorf("build cache: %w", err)
		}
		e := CacheEntry{ID: strings.TrimPrefix(key, "sha256:"), Type: "regular", Size: size, Created: time.Unix(0, created),
			InUse: used[id], Shared: kept[id] && !used[id]}
		if img, err := s.loadImage(ctx, s.db, id); err == nil && len(img.Config.History) > 0 {
			e.Description = img.Config.History[len(img.Config.History)-1].CreatedBy
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("build cache: %w", err)
	}
	return append(out, s.cacheMounts()...), nil
}

// cacheMounts lists the cache mounts' directories with their sizes.
func (s *Store) cacheMounts() []CacheEntry {
	ents, _ := os.ReadDir(s.cacheMountsDir())
	var out []CacheEntry
	for _, ent := range ents {
		dir := filepath.Join(s.cacheMountsDir(), ent.Name())
		id, _ := os.ReadFile(filepath.Join(dir, "id"))
		e := CacheEntry{ID: ent.Name(), Type: "exec.cachemount", Description: "mount / from exec " + string(id)}
		if fi, err := ent.Info(); err == nil {
			e.Created = fi.ModTime()
		}
		filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if fi, ierr := d.Info(); err == nil && ierr == nil && d.Type().IsRegular() {
				e.Size += fi.Size()
			}
			return nil
		})
		out = append(out, e)
	}
	return out
}

// keptImages are the images a tag or a container holds, with their
// ancestors; used are those a container uses. It reads each image's parent
// and whether it is tagged in one query (decoding every image record one by
// one made system df slow on a store of many images).
func (s *Store) keptImages(ctx context.Context, inUse func(string) bool) (kept, used map[string]bool, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, parent,
		EXISTS (SELECT 1 FROM img_tags WHERE image_id = img_images.id) FROM img_images`)
	if err != nil {
		return nil, nil, fmt.Errorf("read images: %w", err)
	}
	defer rows.Close()
	parent := map[string]string{}
	var held []string
	used = map[string]bool{}
	for rows.Next() {
		var id, p string
		var tagged bool
		if err := rows.Scan(&id, &p, &tagged); err != nil {
			return nil, nil, fmt.Errorf("read images: %w", err)
		}
		parent[id] = p
		if inUse != nil && inUse(id) {
			used[id] = true
			held = append(held, id)
		} else if tagged {
			held = append(held, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read images: %w", err)
	}
	kept = map[string]bool{}
	for _, id := range held {
		for cur := id; !kept[cur]; cur = parent[cur] {
			if _, ok := parent[cur]; !ok {
				break // the chain ends, or its parent is gone
			}
			kept[cur] = true
		}
	}
	return kept, used, nil
}

// PruneBuildCache removes build cache nothing keeps: the steps whose image
// is not held by a tag or a container (their images go too, as dangling
// intermediates, and only those), and with all every step recorded and every cache mount.
// It returns the entries removed and the bytes reclaimed.
func (s *Store) PruneBuildCache(ctx context.Context, all bool, inUse func(imageID string) bool) ([]string, int64, error) {
	return s.PruneBuildCacheWhere(ctx, all, inUse, nil)
}

// PruneBuildCacheWhere is PruneBuildCache over the entries pick picks (all
// of them when pick is nil).
func (s *Store) PruneBuildCacheWhere(ctx context.Context, all bool, inUse func(imageID string) bool, pick func(CacheEntry) bool) ([]string, int64, error) {
	entries, err := s.BuildCache(ctx, inUse)
	if err != nil {
		return nil, 0, err
	}
	var removed []string
	var reclaimed int64
	made := map[string]bool{} // the images of the steps removed
	for _, e := range entries {
		if e.InUse || (e.Shared && !all) || (pick != nil && !pick(e)) {
			continue
		}
		if e.Type == "exec.cachemount" {
			if !all {
				continue
			}
			if err := os.RemoveAll(filepath.Join(s.cacheMountsDir(), e.ID)); err != nil {
				return removed, reclaimed, fmt.Errorf("remove cache mount: %w", err)
			}
		} else {
			var imageID string
			if err := s.db.QueryRowContext(ctx, "SELECT image_id FROM img_build_cache WHERE key = ?", "sha256:"+e.ID).Scan(&imageID); err == nil {
				made[imageID] = true
			}
			if _, err := s.db.ExecContext(ctx, "DELETE FROM img_build_cache WHERE key = ?", "sha256:"+e.ID); err != nil {
				return removed, reclaimed, fmt.Errorf("build cache: %w", err)
			}
		}
		removed = append(removed, e.ID)
		if e.Reclaimable() {
			reclaimed += e.Size
		}
	}
	// The steps' intermediate images go too when nothing else holds them;
	// other untagged images (an untagged pull, a load) are image prune's.
	_, _, err = s.prune(ctx, false, func(id string) bool { return inUse != nil && inUse(id) }, made)
	return removed, reclaimed, err
}
