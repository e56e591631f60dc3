package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestConcurrentStores runs two stores over one root and database (as two berth
// processes would) preparing one image and adding others at the same time.
func TestConcurrentStores(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	a, b := openStore(t, dir), openStore(t, dir)
	ctx := context.Background()
	var layers []v1.Layer
	for i := range 20 {
		layers = append(layers, layerOf(t, makeTar(t, tarEntry{name: fmt.Sprint(i), body: fmt.Sprint(i)})))
	}
	img, err := a.AddImage(ctx, imageOf(t, v1.Config{}, layers...), "shared:1")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		s := []*Store{a, b}[i%2]
		wg.Go(func() {
			if _, err := s.Prepare(ctx, img); err != nil {
				errs <- err
			}
			own := imageOf(t, v1.Config{Cmd: []string{fmt.Sprint(i)}}, layerOf(t, makeTar(t, tarEntry{name: "own", body: fmt.Sprint(i)})))
			if _, err := s.AddImage(ctx, own, fmt.Sprintf("own:%d", i)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if links, _ := os.ReadDir(filepath.Join(a.Root(), "l")); len(links) != 20 {
		t.Errorf("%d links, want one per chain ID (20)", len(links))
	}
	list, err := b.List(ctx, ListOptions{})
	if err != nil || len(list) != 9 {
		t.Errorf("List: %d images, %v", len(list), err)
	}
}
