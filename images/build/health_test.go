package build

import (
	"context"
	"testing"
	"time"
)

// TestHealthcheckStartInterval: HEALTHCHECK --start-interval is kept in the
// image (a field go-containerregistry's config lacks), passed on to an image
// built FROM it, cleared by a HEALTHCHECK without it, and part of the step's
// cache key.
func TestHealthcheckStartInterval(t *testing.T) {
	b := newBuilder(t)
	build := func(df, tag string) (time.Duration, string) {
		t.Helper()
		img, err := b.Build(context.Background(), Options{Dockerfile: []byte(df), Tags: []string{tag}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if img.Config.Config.Healthcheck == nil {
			t.Fatalf("%s: no health check", tag)
		}
		return img.Ext.HealthStartInterval, img.ID
	}
	first, id := build("FROM scratch\nHEALTHCHECK --interval=1m --start-interval=2s CMD true\n", "hs:1")
	if first != 2*time.Second {
		t.Errorf("start interval %v, want 2s", first)
	}
	if got, _ := build("FROM scratch\nHEALTHCHECK --interval=1m --start-interval=3s CMD true\n", "hs:3"); got != 3*time.Second {
		t.Errorf("another start interval (the cache must tell them apart): %v", got)
	}
	if got, _ := build("FROM hs:1\nENV A=1\n", "hs:child"); got != 2*time.Second {
		t.Errorf("an image built FROM it: %v", got)
	}
	if got, _ := build("FROM hs:1\nHEALTHCHECK --interval=1m CMD true\n", "hs:reset"); got != 0 {
		t.Errorf("a HEALTHCHECK without --start-interval kept %v", got)
	}
	if got, again := build("FROM scratch\nHEALTHCHECK --interval=1m --start-interval=2s CMD true\n", "hs:again"); got != 2*time.Second || again != id {
		t.Errorf("rebuild: %v, %s (first %s)", got, again, id)
	}
}
