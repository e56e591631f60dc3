package images

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecoverCollectsAfterAKilledChange builds what a pull killed after it
// stored a blob but before it recorded its image leaves (the store's marker,
// a blob no record uses, a temp file of an atomic write, an index.json that
// does not match): Check reports it, Recover clears it all.
func TestRecoverCollectsAfterAKilledChange(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	twoLayerImage(t, s, "a:1")
	if err := os.WriteFile(s.dirtyPath(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writeBlob([]byte("stored, never recorded")); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(string(s.lp), "blobs", "sha256", ".tmp-123")
	if err := os.WriteFile(tmp, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.indexPath(), []byte(`{"schemaVersion":2,"manifests":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Check(ctx, false)
	if err != nil || len(rep.OrphanBlobs) != 1 || len(rep.Temps) != 1 || !rep.StaleIndex {
		t.Fatalf("check before recovery: %+v, %v", rep, err)
	}
	if err := s.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Check(ctx, false); err != nil || !rep.Clean() {
		t.Errorf("check after recovery: %+v, %v", rep, err)
	}
	if _, err := os.Stat(s.dirtyPath()); !os.IsNotExist(err) {
		t.Errorf("the marker is still there: %v", err)
	}
}

// TestSweepTempsSparesLiveOnes checks that the sweep removes the temp dir and
// the half-made unpack of dead processes, with the unpack's dangling short
// link, and keeps those whose maker still holds its lock.
func TestSweepTempsSparesLiveOnes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	live, done, err := s.tmpDir("load-")
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	dead := filepath.Join(s.root, "tmp", "pull-dead")
	key := strings.Repeat("c", 64)
	unpack := filepath.Join(s.root, "snapshots", ".tmp-"+key+"-9")
	link := filepath.Join(s.root, "l", "DANGLING")
	for _, d := range []string{dead, filepath.Join(unpack, "diff")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(unpack, "link"), []byte("DANGLING"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../snapshots/"+key+"/diff", link); err != nil {
		t.Fatal(err)
	}
	held, err := lockFile(ctx, filepath.Join(s.root, "locks", "snapshot-"+key))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.sweepTemps(false); len(got) != 1 || got[0] != dead {
		t.Errorf("with the unpack's lock held: %q, want only %s", got, dead)
	}
	held()
	if err := s.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dead, unpack, link} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the sweep removed a temp dir in use: %v", err)
	}
}
