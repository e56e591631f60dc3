package engine

import (
	"context"

	"berth/images"
	"berth/images/build"
)

// BuildCache lists the build cache: the steps builds recorded (with the
// size of the layer each made), the RUN cache mounts and the digests kept
// of each build context's files.
func (e *Engine) BuildCache(ctx context.Context) ([]images.CacheEntry, error) {
	list, err := e.images.BuildCache(ctx, e.imageInUse(ctx))
	if err != nil {
		return nil, err
	}
	return append(list, build.ContextHashes(e.images.Root())...), nil
}

// PruneBuildCache removes the build cache nothing keeps (with all, every
// step's record and every cache mount), as `docker builder prune` does, and
// records a builder prune event. The kept context digests go too. It returns the entries removed and the
// bytes reclaimed.
func (e *Engine) PruneBuildCache(ctx context.Context, all bool) ([]string, int64, error) {
	removed, reclaimed, err := e.images.PruneBuildCache(ctx, all, e.imageInUse(ctx))
	if err != nil {
		return removed, reclaimed, err
	}
	hashes, size, err := build.PruneContextHashes(e.images.Root())
	removed, reclaimed = append(removed, hashes...), reclaimed+size
	if err != nil {
		return removed, reclaimed, err
	}
	e.emitPrune("builder", uint64(reclaimed))
	return removed, reclaimed, nil
}
