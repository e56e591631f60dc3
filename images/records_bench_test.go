package images

import (
	"context"
	"fmt"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BenchmarkCacheLookup finds a cached build step's image, as each step of a
// fully cached build does.
func BenchmarkCacheLookup(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	img, err := s.AddImage(ctx, imageOf(b, v1.Config{Cmd: []string{"sh"}, Env: []string{"A=1", "B=2"}}), "app:1")
	if err != nil {
		b.Fatal(err)
	}
	if err := s.CacheStore(ctx, "sha256:k", img.ID); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok, err := s.CacheLookup(ctx, "sha256:k"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkList300 lists a store of 300 tagged images, as `docker images`
// does.
func BenchmarkList300(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	for i := range 300 {
		if _, err := s.AddImage(ctx, imageOf(b, v1.Config{Cmd: []string{fmt.Sprint(i)}}), fmt.Sprintf("img%d:1", i)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if imgs, err := s.List(ctx, ListOptions{}); err != nil || len(imgs) != 300 {
			b.Fatal(len(imgs), err)
		}
	}
}
