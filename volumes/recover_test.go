package volumes

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestRecoverAfterKilledCreateAndRemove builds what a volume create killed
// before its commit (a directory without a record) and removals killed
// before and after their commit (data moved aside, with and without the
// record) leave, and checks that Recover puts each right.
func TestRecoverAfterKilledCreateAndRemove(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, n := range []string{"kept", "gone"} {
		if _, err := s.Create(ctx, n, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.mountpoint("kept"), "data"), []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	// rm of "kept" killed before its commit: data aside, record still there.
	if err := os.Rename(s.dir("kept"), filepath.Join(s.root, "_removing-kept")); err != nil {
		t.Fatal(err)
	}
	// rm of "gone" killed after its commit: record gone, data aside.
	if err := s.Remove(ctx, "gone", false); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.root, "_removing-gone", "_data"), 0o755); err != nil {
		t.Fatal(err)
	}
	// create of "half" killed before its commit.
	if err := os.MkdirAll(s.mountpoint("half"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Strays(ctx); err != nil || len(got) != 3 {
		t.Fatalf("strays: %q, %v; want 3", got, err)
	}
	if err := s.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Strays(ctx); err != nil || len(got) != 0 {
		t.Errorf("strays after recovery: %q, %v", got, err)
	}
	if b, err := os.ReadFile(filepath.Join(s.mountpoint("kept"), "data")); string(b) != "precious" {
		t.Errorf("kept's data after recovery: %q, %v", b, err)
	}
	for _, p := range []string{s.dir("half"), filepath.Join(s.root, "_removing-gone")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
}
