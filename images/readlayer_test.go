package images

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"testing"
)

func TestReadLayer(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := twoLayerImage(t, s, "r:1")
	for i, want := range []string{"one", "two"} {
		var names []string
		err := s.ReadLayer(ctx, &img.Layers[i], func(r io.Reader) error {
			tr := tar.NewReader(r)
			for {
				h, err := tr.Next()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				names = append(names, h.Name)
			}
		})
		if err != nil || len(names) != 1 || names[0] != want {
			t.Errorf("layer %d: %v, entries %v, want [%s]", i, err, names, want)
		}
	}
	flipByte(t, s, img.Layers[1].Digest)
	wantCorrupt(t, s.ReadLayer(ctx, &img.Layers[1], func(r io.Reader) error { return nil }), "", img.Layers[1].Digest)
}
