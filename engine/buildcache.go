package engine

import (
	"context"

	"berth/images"
)

// BuildCache lists the build cache: the steps builds recorded (with the
// size of the layer each made) and the RUN cache mounts.
func (e *Engine) BuildCache(ctx context.Context) ([]images.CacheEntry, error) {
	return e.images.BuildCache(ctx, e.imageInUse(ctx))
}

// PruneBuildCache removes the build cache nothing keeps (with all, every
// step's record and every cache mount), as `docker builder prune` does, and
// records a builder prune event. It returns the entries removed and the
// bytes reclaimed.
func (e *Engine) PruneBuildCache(ctx context.Context, all bool) ([]string, int64, error) {
	removed, reclaimed, err := e.images.PruneBuildCache(ctx, all, e.imageInUse(ctx))
	if err != nil {
		return removed, reclaimed, err
	}
	e.emitPrune("builder", uint64(reclaimed))
	return removed, reclaimed, nil
}
