package client

import (
	"context"

	moby "github.com/moby/moby/client"

	"berth/engine"
	"berth/images"
)

// PruneImagesWith removes the dangling images (all: every unused one) that
// pass f.
func (c *Client) PruneImagesWith(ctx context.Context, all bool, f engine.PruneFilters) ([]images.DeleteResponse, int64, error) {
	mf := pruneFilters(f)
	if all {
		mf.Add("dangling", "false")
	}
	res, err := c.api.ImagePrune(ctx, moby.ImagePruneOptions{Filters: mf})
	if err != nil {
		return nil, 0, wire(err, "prune images")
	}
	return deleted(res.Report.ImagesDeleted), int64(res.Report.SpaceReclaimed), nil
}
