package images

import (
	"context"
	"io"
)

// ReadLayer hands the uncompressed tar of one of the store's layers to fn,
// which must consume it or fail, and then verifies the blob's digest and the
// tar's diff ID, so that what fn saw is the layer the image names. A layer
// kept as its snapshot alone (see lazy.go) is read from the snapshot.
func (s *Store) ReadLayer(ctx context.Context, l *Layer, fn func(io.Reader) error) error {
	if dir, ok := s.lazyDir(l); ok {
		return s.readLazy(ctx, dir, l, fn)
	}
	p, err := s.blobPath(l.Digest)
	if err != nil {
		return err
	}
	return readLayer(ctx, p, l, fn)
}
