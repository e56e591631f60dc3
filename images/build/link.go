package build

import (
	"context"
	"io"
	"strings"

	"berth/images"
)

// linkKey is a COPY --link layer's cache key: the step's instruction, what
// it reads and the working directory its relative paths start from, never
// the parent.
func linkKey(s *stageState, p *plan) string {
	q := *p
	q.extra += "\x00link-layer workdir " + s.cfg.WorkingDir
	return cacheKey(nil, &q)
}

// namedOwner says whether a --chown spec names a user or group (not IDs):
// a --link layer cannot look names up, as in BuildKit.
func namedOwner(spec string) bool {
	for _, part := range strings.Split(spec, ":") {
		if strings.Trim(part, "0123456789") != "" {
			return true
		}
	}
	return false
}

// linkLayer returns the image (on scratch, one layer) holding a COPY
// --link's files: copied onto an empty filesystem, so the layer does not
// depend on the parent's content, and cached by linkKey, so a changed
// parent reuses it.
func (bd *build) linkLayer(ctx context.Context, s *stageState, p *plan) (*images.Image, error) {
	key := linkKey(s, p)
	if !bd.opts.NoCache {
		if img, ok, err := bd.store.CacheLookup(ctx, key); err != nil || ok {
			p.linkReused = ok
			return img, err
		}
	}
	var out *images.Image
	err := bd.runner.Mount(ctx, nil, func(root, upper string) error {
		if _, err := p.mount(ctx, root); err != nil {
			return err
		}
		layer, err := images.DiffTar(upper)
		if err != nil {
			return err
		}
		defer layer.Close()
		out, err = bd.store.Commit(ctx, images.CommitOptions{Layer: layer, CreatedBy: p.createdBy})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, bd.store.CacheStore(ctx, key, out.ID)
}

// commitLink puts a COPY --link's layer on the stage's image.
func (bd *build) commitLink(ctx context.Context, s *stageState, p *plan, opts images.CommitOptions) (*images.Image, error) {
	l, err := bd.linkLayer(ctx, s, p)
	if err != nil {
		return nil, err
	}
	if len(l.Layers) == 0 {
		return bd.store.Commit(ctx, opts)
	}
	var img *images.Image
	err = bd.store.ReadLayer(ctx, &l.Layers[len(l.Layers)-1], func(r io.Reader) error {
		opts.Layer = r
		var err error
		img, err = bd.store.Commit(ctx, opts)
		return err
	})
	return img, err
}
