package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestOverlayChanges makes changes through a real overlay mount and checks the
// list Docker's overlay2 diff would print: whiteouts as D, an opaque (deleted
// and made again) directory as D, parents of added or deleted paths as C,
// ignored runtime files and directories holding only them left out.
func TestOverlayChanges(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	base, err := s.AddImage(ctx, imageOf(t, v1.Config{}, layerOf(t, makeTar(t,
		tarEntry{name: "etc/", typ: '5', mode: 0o755}, tarEntry{name: "etc/passwd", body: "root"},
		tarEntry{name: "mod", body: "m"}, tarEntry{name: "gone", body: "g"},
		tarEntry{name: "d/", typ: '5', mode: 0o755}, tarEntry{name: "d/old", body: "o"},
		tarEntry{name: "k/", typ: '5', mode: 0o755}, tarEntry{name: "k/f", body: "f"}))), "base:1")
	if err != nil {
		t.Fatal(err)
	}
	root := mountImage(t, s, base)
	upper := filepath.Join(filepath.Dir(root), "u")
	must(t, os.WriteFile(filepath.Join(root, "mod"), []byte("changed"), 0o644))
	must(t, os.Remove(filepath.Join(root, "gone")))
	must(t, os.RemoveAll(filepath.Join(root, "d")))
	must(t, os.Mkdir(filepath.Join(root, "d"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "d/new"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(root, "k/added"), nil, 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc/hosts"), nil, 0o644)) // a runtime's mount point
	must(t, os.MkdirAll(filepath.Join(root, "new/deep"), 0o755))
	lowers, err := s.Prepare(ctx, base)
	must(t, err)
	for i, l := range lowers {
		lowers[i] = filepath.Join(s.Root(), l)
	}
	got, err := OverlayChanges(lowers, upper, "/etc/hosts")
	must(t, err)
	var lines []string
	for _, c := range got {
		lines = append(lines, fmt.Sprintf("%s %s", c.Kind, c.Path))
	}
	want := "D /d\nA /d/new\nD /gone\nC /k\nA /k/added\nC /mod\nA /new\nA /new/deep"
	if g := strings.Join(lines, "\n"); g != want {
		t.Errorf("changes:\n%s\nwant:\n%s", g, want)
	}
	// Without the ignore list the runtime's file and its directory show.
	got, err = OverlayChanges(lowers, upper)
	must(t, err)
	if len(got) != len(lines)+2 {
		t.Errorf("without ignore: %v", got)
	}
}

// TestRemoveDeletesUnusedParents removes an image made over untagged
// intermediates (as a build makes them): they go with it, up to the first
// parent that is tagged, has another child or is held.
func TestRemoveDeletesUnusedParents(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	base, err := s.AddImage(ctx, imageOf(t, v1.Config{}, layerOf(t, makeTar(t, tarEntry{name: "a", body: "1"}))), "base:1")
	must(t, err)
	mid1, err := s.Commit(ctx, CommitOptions{Parent: base, Config: v1.Config{Env: []string{"A=1"}}, CreatedBy: "ENV A=1"})
	must(t, err)
	mid2, err := s.Commit(ctx, CommitOptions{Parent: mid1, Config: v1.Config{Env: []string{"A=2"}}, CreatedBy: "ENV A=2"})
	must(t, err)
	other, err := s.Commit(ctx, CommitOptions{Parent: mid1, Config: v1.Config{Env: []string{"B=1"}}, CreatedBy: "ENV B=1", Tags: []string{"other:1"}})
	must(t, err)
	top, err := s.Commit(ctx, CommitOptions{Parent: mid2, Config: v1.Config{Cmd: []string{"x"}}, CreatedBy: "CMD x", Tags: []string{"top:1"}})
	must(t, err)
	resp, err := s.Remove(ctx, "top:1", false, nil)
	must(t, err)
	var got []string
	for _, r := range resp {
		got = append(got, r.Untagged+r.Deleted)
	}
	// mid1 stays: other:1 is its child.
	if want := []string{"top:1", top.ID, mid2.ID}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("removed %v, want %v", got, want)
	}
	resp, err = s.Remove(ctx, "other:1", false, usedBy(mid1.ID))
	must(t, err)
	if len(resp) != 2 || resp[1].Deleted != other.ID {
		t.Errorf("a parent in use was removed: %+v", resp)
	}
	if _, err := s.Resolve(mid1.ID); err != nil {
		t.Errorf("mid1: %v", err)
	}
}
