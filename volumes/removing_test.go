package volumes

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestStraysSkipALiveRemoval checks that data a removal has moved aside is
// not a stray while the removing process holds it (a check in another
// process must not report it, nor a recovery delete it under that process),
// and is one once the lock is free (the removing process was killed).
func TestStraysSkipALiveRemoval(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	aside := filepath.Join(s.root, "_removing-gone")
	if err := os.MkdirAll(filepath.Join(aside, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	unlock := lockDir(aside)
	if unlock == nil {
		t.Fatal("cannot lock the moved-aside directory")
	}
	if strays, err := s.Strays(ctx); err != nil || slices.Contains(strays, "_removing-gone") {
		t.Fatalf("strays while the removal holds it: %v, %v", strays, err)
	}
	if err := s.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(aside); err != nil {
		t.Fatalf("recovery deleted a live removal's data: %v", err)
	}
	unlock()
	if strays, err := s.Strays(ctx); err != nil || !slices.Contains(strays, "_removing-gone") {
		t.Fatalf("strays once the removal is gone: %v, %v", strays, err)
	}
	if err := s.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(aside); !os.IsNotExist(err) {
		t.Errorf("recovery left a killed removal's data: %v", err)
	}
}
