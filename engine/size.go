package engine

import (
	"context"
	"path/filepath"
)

// ContainerSize is what docker ps -s reports of a container: SizeRw, the
// bytes of its own writes (its overlay upper dir), and SizeRootFs, those
// plus its image's.
type ContainerSize struct {
	SizeRw     int64 `json:"SizeRw"`
	SizeRootFs int64 `json:"SizeRootFs"`
}

// Size measures a container's writes and its whole root filesystem. It walks
// the upper dir, so it costs as much as the container wrote.
func (e *Engine) Size(ctx context.Context, c *Container) (ContainerSize, error) {
	if err := ctx.Err(); err != nil {
		return ContainerSize{}, err
	}
	rw := int64(dirSize(filepath.Join(e.containerDir(c.ID), "fs/upper")))
	s := ContainerSize{SizeRw: rw, SizeRootFs: rw}
	if img, err := e.images.Resolve(c.Image); err == nil {
		s.SizeRootFs += img.Size
	}
	return s, nil
}
