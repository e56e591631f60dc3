package client

import (
	"context"

	moby "github.com/moby/moby/client"

	"berth/images"
)

// PullAllTags pulls every tag of repo through the server (the API's pull
// without a tag) and returns the images of repo the server then lists.
// Progress carries the server's per-layer messages.
func (c *Client) PullAllTags(ctx context.Context, repo string, o images.PullOptions) ([]*images.Image, error) {
	res, err := c.api.ImagePull(ctx, repo, moby.ImagePullOptions{All: true})
	if err != nil {
		return nil, wire(err, "pull all tags of "+repo)
	}
	defer res.Close()
	if _, err := progress(ctx, res.JSONMessages(ctx), o.Progress); err != nil {
		return nil, err
	}
	list, err := c.ListImages(ctx, images.ListOptions{Filters: map[string][]string{"reference": {repo}}})
	if err != nil {
		return nil, err
	}
	out := make([]*images.Image, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out, nil
}
