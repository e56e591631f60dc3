package images

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestBootstrapDebian builds debian:bookworm with debootstrap (minutes, needs the
// Debian archive): run with BERTH_SLOW=1 (make test-slow).
func TestBootstrapDebian(t *testing.T) {
	requireRoot(t)
	if os.Getenv("BERTH_SLOW") == "" {
		t.Skip("slow: set BERTH_SLOW=1 to debootstrap debian:bookworm")
	}
	s := newStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var lines int
	img, err := s.Bootstrap(ctx, "debian", func(string) { lines++ })
	if err != nil {
		t.Fatal(err)
	}
	if lines < 3 || len(img.RepoTags) != 1 || img.RepoTags[0] != "debian:bookworm" {
		t.Errorf("progress lines %d, tags %v", lines, img.RepoTags)
	}
	root := mountImage(t, s, img)
	if out := runIn(t, root, "/bin/bash", "-c", "grep ^VERSION_CODENAME= /etc/os-release"); strings.TrimSpace(out) != "VERSION_CODENAME=bookworm" {
		t.Errorf("os-release: %q", out)
	}
}
