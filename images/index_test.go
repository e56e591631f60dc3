package images

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sys/unix"
)

// indexJSONPerImage is index.json as the store wrote it before the
// descriptor columns: every image loaded, its manifest read from its blob.
// Stores written then must not be seen as stale now.
func indexJSONPerImage(t *testing.T, s *Store) []byte {
	t.Helper()
	ctx := context.Background()
	ids, err := s.allIDs(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}
	for _, id := range ids {
		img, err := s.loadImage(ctx, s.db, id)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := s.manifestDescriptor(img)
		if err != nil {
			t.Fatal(err)
		}
		if len(img.RepoTags) == 0 {
			idx.Manifests = append(idx.Manifests, desc)
		}
		for _, tag := range img.RepoTags {
			d := desc
			d.Annotations = refAnnotations(tag)
			idx.Manifests = append(idx.Manifests, d)
		}
	}
	b, err := json.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// indexMix stores tagged, multiply tagged, untagged and OCI-typed images.
func indexMix(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	twoImages(t, s)
	if err := s.Tag(ctx, "app:1", "reg.example:5000/team/app:v2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, "app:1", "zz/app"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"untagged"}})); err != nil {
		t.Fatal(err)
	}
	oci := mutate.MediaType(imageOf(t, v1.Config{Cmd: []string{"oci"}}), types.OCIManifestSchema1)
	oci = mutate.ConfigMediaType(oci, types.OCIConfigJSON)
	if _, err := s.AddImage(ctx, oci, "oci:1", "oci:2"); err != nil {
		t.Fatal(err)
	}
}

func readIndex(t *testing.T, s *Store) []byte {
	t.Helper()
	b, err := os.ReadFile(s.indexPath())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIndexJSONSameAsPerImage checks that index.json made from one query
// and the descriptor columns is byte for byte what loading every image and
// reading every manifest made, for new rows and for rows recorded before the
// columns (whose descriptors are then read once and stored).
func TestIndexJSONSameAsPerImage(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	indexMix(t, s)
	want := indexJSONPerImage(t, s)
	if got := readIndex(t, s); !bytes.Equal(got, want) {
		t.Fatalf("index.json\n%s\nwant\n%s", got, want)
	}
	// Rows of a store made before the columns.
	if _, err := s.db.Exec("UPDATE img_images SET manifest_size = -1, manifest_type = ''"); err != nil {
		t.Fatal(err)
	}
	if stale, err := s.indexStale(ctx); err != nil || stale {
		t.Fatalf("index of an older store seen as stale (%v, %v)", stale, err)
	}
	var legacy int
	if err := s.db.QueryRow("SELECT COUNT(*) FROM img_images WHERE manifest_size = -1 OR manifest_type = ''").Scan(&legacy); err != nil || legacy != 0 {
		t.Errorf("%d rows left without their descriptor (%v)", legacy, err)
	}
	if got, err := s.indexJSON(ctx); err != nil || !bytes.Equal(got, want) {
		t.Errorf("index.json from stored descriptors\n%s\nwant\n%s (%v)", got, want, err)
	}
	// A stale index (a commit killed before the rewrite) is still seen.
	if err := os.WriteFile(s.indexPath(), []byte(`{"schemaVersion":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if stale, err := s.indexStale(ctx); err != nil || !stale {
		t.Errorf("stale index not seen (%v, %v)", stale, err)
	}
}

// TestTagInPlaceChangesNothing checks that tagging an image with a tag it
// has leaves the store's files alone (no marker, no index rewrite) and
// still reports the tag event, as dockerd does.
func TestTagInPlaceChangesNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	app, _ := twoImages(t, s)
	var l eventLog
	s.SetEventSink(l.sink)
	var before unix.Stat_t
	if err := unix.Stat(s.indexPath(), &before); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, app.ID, "app:1"); err != nil {
		t.Fatal(err)
	}
	var after unix.Stat_t
	if err := unix.Stat(s.indexPath(), &after); err != nil {
		t.Fatal(err)
	}
	if after.Ino != before.Ino || after.Mtim != before.Mtim {
		t.Errorf("index.json rewritten by a tag already in place")
	}
	if fileExists(s.dirtyPath()) {
		t.Errorf("change marker left by a tag already in place")
	}
	expectEvents(t, "tag in place", &l, "tag "+app.ID+" app:1")
	// Moving a tag still rewrites the index.
	if err := s.Tag(ctx, "base:1", "app:1"); err != nil {
		t.Fatal(err)
	}
	if got, want := readIndex(t, s), indexJSONPerImage(t, s); !bytes.Equal(got, want) {
		t.Errorf("index.json after a moved tag\n%s\nwant\n%s", got, want)
	}
	if img, err := s.Resolve("app:1"); err != nil || slices.Contains(img.RepoTags, "base:1") == false {
		t.Errorf("app:1 not moved onto base:1: %+v %v", img, err)
	}
}

// BenchmarkTagMove300 moves one tag between two images of a store holding
// 300: each move rewrites index.json from the records.
func BenchmarkTagMove300(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	var ids []string
	for i := range 300 {
		img, err := s.AddImage(ctx, imageOf(b, v1.Config{Cmd: []string{fmt.Sprint(i)}}), fmt.Sprintf("img%d:1", i))
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, img.ID)
	}
	i := 0
	for b.Loop() {
		if err := s.Tag(ctx, ids[i%2], "moving:1"); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
