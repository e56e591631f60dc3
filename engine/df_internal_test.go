package engine

import (
	"testing"

	"berth/images"
)

// TestLayerHolders: a layer blob two images hold is counted once in the
// layers' size and as shared in each image, by its content size (Docker's
// figure), not its blob's.
func TestLayerHolders(t *testing.T) {
	imgs := []images.Image{
		{ID: "a", Layers: []images.Layer{{Digest: "l1", Size: 2048, ContentSize: 10}, {Digest: "l2", Size: 2048, ContentSize: 5}}},
		{ID: "b", Layers: []images.Layer{{Digest: "l1", Size: 2048, ContentSize: 10}, {Digest: "l3", Size: 2048, ContentSize: 7}, {Digest: "l3", Size: 2048, ContentSize: 7}}},
	}
	h := layerHolders(imgs)
	if h["l1"].images != 2 || h["l2"].images != 1 || h["l3"].images != 1 {
		t.Errorf("holders: %+v", h)
	}
	var total int64
	for _, u := range h {
		total += u.size
	}
	if total != 22 {
		t.Errorf("layers size %d, want 22", total)
	}
}
