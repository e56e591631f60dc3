package build

import (
	"context"

	"berth/images"
)

// adoptUpper makes the snapshot of img's new layer from the step's upper
// dir by hard links, so the next step's container does not unpack the layer
// this step just wrote (with a COPY of thousands of files, the unpack was a
// third of a rebuild's CPU). It is only a shortcut: when it fails, the layer
// is unpacked from its blob when needed, as without it.
func (bd *build) adoptUpper(ctx context.Context, img *images.Image, upper string, exclude []string) {
	_ = bd.store.AdoptSnapshot(ctx, img, upper, exclude...)
}
