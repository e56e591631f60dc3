package client

import (
	"context"

	moby "github.com/moby/moby/client"

	"berth/engine"
)

// PruneBuildCacheWith removes the unused build cache (all: shared entries
// too) that passes f.
func (c *Client) PruneBuildCacheWith(ctx context.Context, all bool, f engine.PruneFilters) ([]string, int64, error) {
	res, err := c.api.BuildCachePrune(ctx, moby.BuildCachePruneOptions{All: all, Filters: pruneFilters(f)})
	if err != nil {
		return nil, 0, wire(err, "prune the build cache")
	}
	return res.Report.CachesDeleted, int64(res.Report.SpaceReclaimed), nil
}
