package images

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PullAllTags pulls every tag the registry lists for repo (a name without a
// tag or digest), in the registry's order, as `docker pull --all-tags`.
// Before each tag's pull it sends on opts.Progress an event with Tag set
// and Status "Pulling from". It stops at the first tag that fails, keeping
// the tags pulled before it, and returns the images pulled.
func (s *Store) PullAllTags(ctx context.Context, repo string, opts PullOptions) ([]*Image, error) {
	if strings.Contains(repo, "@") || strings.Contains(repo[strings.LastIndex(repo, "/")+1:], ":") {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("a pull of all tags takes a repository without a tag or digest, not %q", repo))
	}
	r, err := ParseReference(repo)
	if err != nil {
		return nil, err
	}
	tags, err := remote.List(r.Name.Context(), remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(opts.Keychain)))
	if err != nil {
		return nil, fmt.Errorf("list the tags of %s: %w", r.Repo, classifyRemote(err))
	}
	if len(tags) == 0 {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("the registry lists no tag of %s", r.Repo))
	}
	send := progressSender(ctx, opts.Progress)
	out := make([]*Image, 0, len(tags))
	for _, t := range tags {
		send(Progress{Tag: t, Status: "Pulling from"})
		img, err := s.Pull(ctx, r.Repo+":"+t, opts)
		if err != nil {
			return out, err
		}
		out = append(out, img)
	}
	return out, nil
}
