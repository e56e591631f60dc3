package engine

import (
	"context"
	"fmt"

	"berth/images"
)

// PruneImagesWith removes the dangling images (every unused one with all)
// that pass f, as `docker image prune --filter until=24h --filter
// label=KEY` does, and returns what went and the bytes reclaimed.
func (e *Engine) PruneImagesWith(ctx context.Context, all bool, f PruneFilters) ([]images.DeleteResponse, int64, error) {
	keep, err := e.imagesKept(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	resp, n, err := e.images.Prune(ctx, all, keep)
	if err != nil {
		return resp, n, fmt.Errorf("prune images: %w", err)
	}
	return resp, n, nil
}

// imagesKept says which images a prune under f must keep: those f does not
// select (created after until, labels not matching) and those a container
// was made from (on a doubt too, so that nothing is removed wrongly).
func (e *Engine) imagesKept(ctx context.Context, f PruneFilters) (func(string) bool, error) {
	imgs, err := e.images.List(ctx, images.ListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("prune images: %w", err)
	}
	spared := map[string]bool{}
	for _, img := range imgs {
		if !f.Match(img.Created, img.Config.Config.Labels) {
			spared[img.ID] = true
		}
	}
	return func(id string) bool {
		if spared[id] {
			return true
		}
		users, err := e.db.UsingImage(ctx, id)
		return err != nil || len(users) > 0
	}, nil
}
