package images

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestCommitUpperDir changes a mounted image, commits the overlay upper dir as a
// layer and checks the new image shows the change, deletions included.
func TestCommitUpperDir(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	base, err := s.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"sh"}}, layerOf(t, makeTar(t,
		tarEntry{name: "keep", body: "k"}, tarEntry{name: "drop", body: "d"},
		tarEntry{name: "dir/", typ: '5', mode: 0o755}, tarEntry{name: "dir/old", body: "o"}))), "base:1")
	if err != nil {
		t.Fatal(err)
	}
	root := mountImage(t, s, base)
	upper := filepath.Join(filepath.Dir(root), "u")
	must(t, os.WriteFile(filepath.Join(root, "added"), []byte("a"), 0o644))
	must(t, os.Remove(filepath.Join(root, "drop")))
	must(t, os.RemoveAll(filepath.Join(root, "dir")))
	must(t, os.Mkdir(filepath.Join(root, "dir"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "dir/new"), []byte("n"), 0o644))
	diff, err := DiffTar(upper)
	if err != nil {
		t.Fatal(err)
	}
	defer diff.Close()
	img, err := s.Commit(ctx, CommitOptions{Parent: base, Layer: diff, Config: v1.Config{Cmd: []string{"new"}},
		CreatedBy: "berth commit", Tags: []string{"derived:1"}})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if len(img.Layers) != 2 || img.Parent != base.ID || len(img.Config.History) != 1+len(base.Config.History) {
		t.Errorf("committed image: %d layers, parent %s, history %d", len(img.Layers), img.Parent, len(img.Config.History))
	}
	root2 := mountImage(t, s, img)
	for p, want := range map[string]bool{"keep": true, "added": true, "drop": false, "dir/old": false, "dir/new": true} {
		if _, err := os.Stat(filepath.Join(root2, p)); (err == nil) != want {
			t.Errorf("%s exists=%v, want %v", p, err == nil, want)
		}
	}
	meta, err := s.Commit(ctx, CommitOptions{Parent: img, Config: v1.Config{Env: []string{"X=1"}}, CreatedBy: "ENV X=1"})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := s.History(ctx, meta.ID)
	if len(meta.Layers) != 2 || !h[0].EmptyLayer || !strings.Contains(h[0].CreatedBy, "ENV") {
		t.Errorf("metadata commit: %d layers, history %+v", len(meta.Layers), h)
	}
	// As docker history: each row below the top names the parent images
	// still stored, one each down the parent chain.
	if len(h) != 3 || h[0].ID != meta.ID || h[1].ID != img.ID || h[2].ID != base.ID ||
		len(h[1].Tags) != 1 || h[1].Tags[0] != "derived:1" {
		t.Errorf("history IDs: %+v", h)
	}
	// The base has a child now: removing it by ID is a conflict; by tag only untags.
	if _, err := s.Remove(ctx, base.ID, false, nil); err == nil {
		t.Error("removed an image with children")
	}
	if resp, err := s.Remove(ctx, "base:1", false, nil); err != nil || len(resp) != 1 || resp[0].Deleted != "" {
		t.Errorf("rmi base:1 with a child: %+v %v", resp, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCommitOfNoChange: a container that changed nothing commits to an image
// with Docker's empty layer (a tar of its end marker alone), while an import
// of a stream without entries is still refused.
func TestCommitOfNoChange(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	base, err := s.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"sh"}}, layerOf(t, makeTar(t, tarEntry{name: "f", body: "x"}))), "base:1")
	if err != nil {
		t.Fatal(err)
	}
	diff, err := DiffTar(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer diff.Close()
	img, err := s.Commit(ctx, CommitOptions{Parent: base, Layer: diff, Config: v1.Config{Cmd: []string{"sh"}}, CreatedBy: "true"})
	if err != nil {
		t.Fatalf("commit of no change: %v", err)
	}
	const emptyLayer = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef" // Docker's
	if len(img.Layers) != 2 || img.Layers[1].DiffID != emptyLayer {
		t.Fatalf("layers %+v, want the base's and the empty layer %s", img.Layers, emptyLayer)
	}
	if _, err := s.Import(ctx, strings.NewReader(""), "empty:1"); err == nil || !strings.Contains(err.Error(), "no entries") {
		t.Fatalf("import of an empty stream: %v, want no entries", err)
	}
}
