package engine

import (
	"context"

	"berth/images"
)

// PruneBuildCacheWith is PruneBuildCache narrowed by docker builder prune's
// (and docker system prune's) filters: until keeps the entries made after
// it; a cache entry has no labels, so a label filter picks none and label!
// all. With zero filters it is PruneBuildCache.
func (e *Engine) PruneBuildCacheWith(ctx context.Context, all bool, f PruneFilters) ([]string, int64, error) {
	if f.Until.IsZero() && len(f.Labels) == 0 && len(f.NotLabels) == 0 {
		return e.PruneBuildCache(ctx, all)
	}
	pick := func(c images.CacheEntry) bool { return f.Match(c.Created, nil) }
	removed, reclaimed, err := e.images.PruneBuildCacheWhere(ctx, all, e.imageInUse(ctx), pick)
	if err != nil {
		return removed, reclaimed, err
	}
	e.emitPrune("builder", uint64(max(reclaimed, 0)))
	return removed, reclaimed, nil
}
