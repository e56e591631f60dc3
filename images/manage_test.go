package images

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// twoImages stores two images sharing a base layer: "app:1" (base + top) and
// "base:1" (base only); it returns them in that order.
func twoImages(t *testing.T, s *Store) (*Image, *Image) {
	t.Helper()
	ctx := context.Background()
	base := layerOf(t, makeTar(t, tarEntry{name: "base", body: "b"}))
	top := layerOf(t, makeTar(t, tarEntry{name: "top", body: "t"}))
	app, err := s.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"app"}}, base, top), "app:1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"base"}}, base), "base:1")
	if err != nil {
		t.Fatal(err)
	}
	return app, b
}

func TestTagAndRemoveSemantics(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	ctx := context.Background()
	app, base := twoImages(t, s)
	if _, err := s.Prepare(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, "app:1", "reg:5000/team/app:v2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, "app:1", "x@sha256:"+strings.Repeat("a", 64)); !errdefs.IsInvalidArgument(err) {
		t.Errorf("tag with digest: %v", err)
	}
	if err := s.Tag(ctx, "nope", "y:1"); !errdefs.IsNotFound(err) {
		t.Errorf("tag of unknown: %v", err)
	}
	// By ID with two tags: conflict without force.
	if _, err := s.Remove(ctx, app.ID, false, nil); !errdefs.IsConflict(err) {
		t.Fatalf("rmi ID with two tags: %v, want conflict", err)
	}
	// One of two tags: untag only.
	resp, err := s.Remove(ctx, "reg:5000/team/app:v2", false, nil)
	if err != nil || len(resp) != 1 || resp[0].Untagged != "reg:5000/team/app:v2" {
		t.Fatalf("rmi one tag: %+v %v", resp, err)
	}
	// Last tag while a container uses it: conflict; with force: untag only.
	used := usedBy(app.ID)
	if _, err := s.Remove(ctx, "app:1", false, used); !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "container") {
		t.Fatalf("rmi used image: %v, want conflict naming a container", err)
	}
	resp, err = s.Remove(ctx, "app:1", true, used)
	if err != nil || len(resp) != 1 || resp[0].Untagged != "app:1" {
		t.Fatalf("rmi -f used image: %+v %v", resp, err)
	}
	if img, err := s.Resolve(app.ID); err != nil || len(img.RepoTags) != 0 {
		t.Fatalf("used image after rmi -f: %v %v", img, err)
	}
	// Prune keeps the used dangling image, then removes it once unused.
	if resp, _, err := s.Prune(ctx, false, used.inUse); err != nil || len(resp) != 0 {
		t.Fatalf("prune with used dangling image: %+v %v", resp, err)
	}
	resp, reclaimed, err := s.Prune(ctx, false, nil)
	if err != nil || len(resp) != 1 || resp[0].Deleted != app.ID || reclaimed <= 0 {
		t.Fatalf("prune: %+v %d %v", resp, reclaimed, err)
	}
	// The shared base layer and its snapshot survive; the top one is gone.
	if _, err := os.Stat(s.SnapshotDir(app.Layers[0].ChainID)); err != nil {
		t.Errorf("shared base snapshot removed: %v", err)
	}
	if _, err := os.Stat(s.SnapshotDir(app.Layers[1].ChainID)); err == nil {
		t.Error("top snapshot of the deleted image kept")
	}
	if p, _ := s.blobPath(app.Layers[1].Digest); fileExists(p) {
		t.Error("top layer blob kept")
	}
	if p, _ := s.blobPath(base.Layers[0].Digest); !fileExists(p) {
		t.Error("shared layer blob removed")
	}
	if links, _ := os.ReadDir(filepath.Join(s.Root(), "l")); len(links) != 1 {
		t.Errorf("links left: %d, want 1", len(links))
	}
	// Last tag, unused: untag and delete, leaving an empty store.
	resp, err = s.Remove(ctx, "base:1", false, nil)
	if err != nil || len(resp) != 2 || resp[1].Deleted != base.ID {
		t.Fatalf("rmi base: %+v %v", resp, err)
	}
	assertNothingStored(t, s)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestListFiltersAndPruneAll(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	app, _ := twoImages(t, s)
	if _, err := s.Remove(ctx, "app:1", false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"dangling"}}, layerOf(t, makeTar(t, tarEntry{name: "d"})))); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, "base:1", "base:2"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		filters map[string][]string
		want    int
	}{
		{nil, 2},
		{map[string][]string{"dangling": {"true"}}, 1},
		{map[string][]string{"dangling": {"false"}}, 1},
		{map[string][]string{"reference": {"base"}}, 1},
		{map[string][]string{"reference": {"base:2"}}, 1},
		{map[string][]string{"reference": {"b*:1"}}, 1},
		{map[string][]string{"reference": {"nothing*"}}, 0},
	}
	for _, c := range cases {
		got, err := s.List(ctx, ListOptions{Filters: c.filters})
		if err != nil || len(got) != c.want {
			t.Errorf("List %v: %d images (%v), want %d", c.filters, len(got), err, c.want)
		}
	}
	for _, bad := range []map[string][]string{{"dangling": {"maybe"}}, {"color": {"x"}}, {"label": {"=x"}}, {"until": {"soon"}}, {"before": {"nothing:1"}}, {"reference": {"[", "x"}}} {
		if _, err := s.List(ctx, ListOptions{Filters: bad}); !errdefs.IsInvalidArgument(err) {
			t.Errorf("List %v: %v, want invalid argument", bad, err)
		}
	}
	if _, err := s.Resolve(app.ID); !errdefs.IsNotFound(err) {
		t.Errorf("app deleted with its only tag: %v", err)
	}
	resp, _, err := s.Prune(ctx, true, nil)
	if err != nil || len(resp) != 4 { // untag base:1, base:2, delete base, delete dangling
		t.Fatalf("prune -a: %+v %v", resp, err)
	}
	assertNothingStored(t, s)
}

func TestHistory(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	img, err := s.Bootstrap(context.Background(), "busybox", nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.History(context.Background(), "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].ID != img.ID || h[0].CreatedBy != `CMD ["sh"]` || h[0].Size != 0 ||
		h[1].ID != "<missing>" || h[1].Size != img.Layers[0].ContentSize || h[1].Size != img.Size || !strings.Contains(h[1].CreatedBy, "bootstrap busybox") {
		t.Errorf("history: %+v", h)
	}
}

func TestIndexJSONListsTags(t *testing.T) {
	s := newStore(t)
	twoImages(t, s)
	b, err := os.ReadFile(filepath.Join(s.Root(), "oci", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"docker.io/library/app:1"`, `"docker.io/library/base:1"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("index.json lacks %s: %s", want, b)
		}
	}
}
