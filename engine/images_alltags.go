package engine

import (
	"context"

	"berth/images"
)

// PullAllTags fetches every tag its registry lists for repo (a name without
// a tag or digest), as `docker pull --all-tags`, sending per-layer progress
// on o.Progress and, before each tag, an event with its Tag.
func (e *Engine) PullAllTags(ctx context.Context, repo string, o images.PullOptions) ([]*images.Image, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	return e.images.PullAllTags(ctx, repo, o)
}
