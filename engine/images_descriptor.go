package engine

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"berth/images"
)

// ImageDescriptor returns the image that ref names and the descriptor of
// its stored manifest (media type, digest, size, platform), as a registry
// would describe it.
func (e *Engine) ImageDescriptor(ctx context.Context, ref string) (*images.Image, v1.Descriptor, error) {
	img, err := e.images.Resolve(ref)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	d, err := e.images.ManifestDescriptor(img)
	return img, d, err
}
