package build

import (
	"context"
	"fmt"
	"sync"

	"github.com/containerd/errdefs"

	"berth/images"
)

// pullOnce is one base image's pull, shared by the stages that name it.
type pullOnce struct {
	once sync.Once
	img  *images.Image
	err  error
}

// baseImage is the image a FROM names: with --pull fetched from its
// registry (once per build, even when stored), else the stored one.
func (bd *build) baseImage(ctx context.Context, ref string) (*images.Image, error) {
	if !bd.opts.Pull {
		img, err := bd.store.Resolve(ref)
		if errdefs.IsNotFound(err) {
			err = errdefs.ErrNotFound.WithMessage(fmt.Sprintf("unable to find image %q locally (berth build does not pull; use berth pull)", ref))
		}
		return img, err
	}
	bd.mu.Lock()
	p := bd.pulls[ref]
	if p == nil {
		p = &pullOnce{}
		bd.pulls[ref] = p
	}
	bd.mu.Unlock()
	p.once.Do(func() {
		p.img, p.err = bd.store.Pull(ctx, ref, images.PullOptions{Platform: bd.opts.Platform})
	})
	return p.img, p.err
}
