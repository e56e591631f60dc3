package images

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// flipByte inverts one byte in the middle of a stored blob, keeping its size.
func flipByte(t *testing.T, s *Store, digest string) {
	t.Helper()
	p, err := s.blobPath(digest)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// twoLayerImage stores an image with a big and a small gzip layer.
func twoLayerImage(t *testing.T, s *Store, tags ...string) *Image {
	t.Helper()
	img, err := s.AddImage(context.Background(), imageOf(t, v1.Config{Cmd: []string{"x"}},
		layerOf(t, makeTar(t, tarEntry{name: "one", body: strings.Repeat("1", 300000)})),
		layerOf(t, makeTar(t, tarEntry{name: "two", body: "2"}))), tags...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func wantCorrupt(t *testing.T, err error, prefix, digest string) {
	t.Helper()
	want := prefix + "blob " + digest + " is corrupt: its content has digest sha256:"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrCorruptBlob) || !errdefs.IsDataLoss(err) {
		t.Errorf("error %v, want %q… (corrupt blob, data loss)", err, want)
	}
}

func TestSaveRefusesCorruptBlob(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := twoLayerImage(t, s, "c:1")
	if err := s.Save(ctx, io.Discard, []string{"c:1"}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{img.Layers[0].Digest, img.ID} {
		flipByte(t, s, d)
		wantCorrupt(t, s.Save(ctx, io.Discard, []string{"c:1"}), "save: ", d)
		flipByte(t, s, d) // back as it was
	}
}

func TestPushRefusesCorruptBlobBeforeUpload(t *testing.T) {
	ctx := context.Background()
	var writes atomic.Int64
	host := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				writes.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	s := newStore(t)
	ref := host + "/c/img:1"
	img := twoLayerImage(t, s, ref)
	flipByte(t, s, img.Layers[1].Digest)
	wantCorrupt(t, s.Push(ctx, ref, PushOptions{Keychain: authn.NewMultiKeychain()}), "push "+ref+": ", img.Layers[1].Digest)
	if n := writes.Load(); n != 0 {
		t.Errorf("the registry got %d upload requests for a corrupt image", n)
	}
}

func TestPullRepairsCorruptBlobs(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t, nil)
	s := newStore(t)
	ref := host + "/c/img:1"
	img := twoLayerImage(t, s, ref)
	if err := s.Push(ctx, ref, PushOptions{Keychain: authn.NewMultiKeychain()}); err != nil {
		t.Fatal(err)
	}
	flipByte(t, s, img.Layers[0].Digest)
	flipByte(t, s, img.ID)
	events := make(chan Progress, 1000)
	if _, err := s.Pull(ctx, ref, PullOptions{Progress: events}); err != nil {
		t.Fatalf("re-pull: %v", err)
	}
	close(events)
	status := map[string][]string{}
	for e := range events {
		status[e.ID] = append(status[e.ID], e.Status)
	}
	if got := status[shortID(img.Layers[0].Digest)]; !slices.Contains(got, "Download complete") || slices.Contains(got, "Already exists") {
		t.Errorf("corrupt layer: statuses %v, want it downloaded again", got)
	}
	if got := status[shortID(img.Layers[1].Digest)]; !slices.Contains(got, "Already exists") {
		t.Errorf("intact layer: statuses %v, want Already exists", got)
	}
	if err := s.verifyImage(ctx, img); err != nil {
		t.Errorf("after the re-pull: %v", err)
	}
	if err := s.Save(ctx, io.Discard, []string{ref}); err != nil {
		t.Errorf("save after the re-pull: %v", err)
	}
}

func TestPrepareReportsCorruptBlob(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	img := twoLayerImage(t, s)
	flipByte(t, s, img.Layers[0].Digest)
	_, err := s.Prepare(ctx, img)
	wantCorrupt(t, err, "prepare layer 1 of "+img.ID+": ", img.Layers[0].Digest)
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), "snapshots")); len(ents) != 0 {
		t.Errorf("a refused unpack left snapshots %v", ents)
	}
}

func TestCheckFindsCorruptMissingAndOrphans(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	a := twoLayerImage(t, s, "a:1")
	b, err := s.AddImage(ctx, imageOf(t, v1.Config{}, layerOf(t, makeTar(t, tarEntry{name: "b", body: "b"}))), "b:1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prepare(ctx, a); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Check(ctx, false); err != nil || !rep.Clean() || rep.Verified != 7 {
		t.Fatalf("fresh store: %+v %v", rep, err)
	}
	flipByte(t, s, a.Layers[0].Digest)
	bp, _ := s.blobPath(b.Layers[0].Digest)
	if err := os.Remove(bp); err != nil {
		t.Fatal(err)
	}
	orphan := []byte("nobody's blob")
	if _, err := s.writeBlob(orphan); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(s.Root(), "snapshots", strings.Repeat("e", 64), "diff")
	if err := os.MkdirAll(stray, 0o755); err != nil {
		t.Fatal(err)
	}

	rep, err := s.Check(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Corrupt) != 1 || rep.Corrupt[0].Digest != a.Layers[0].Digest || !slices.Equal(rep.Corrupt[0].Images, []string{a.ID}) ||
		!strings.HasPrefix(rep.Corrupt[0].Problem, "blob "+a.Layers[0].Digest+" is corrupt") {
		t.Errorf("Corrupt = %+v", rep.Corrupt)
	}
	if len(rep.Missing) != 1 || rep.Missing[0].Digest != b.Layers[0].Digest || !slices.Equal(rep.Missing[0].Images, []string{b.ID}) {
		t.Errorf("Missing = %+v", rep.Missing)
	}
	if !slices.Equal(rep.OrphanBlobs, []string{digestOf(orphan)}) || !slices.Equal(rep.OrphanSnapshots, []string{"sha256:" + strings.Repeat("e", 64)}) {
		t.Errorf("orphans: blobs %v snapshots %v", rep.OrphanBlobs, rep.OrphanSnapshots)
	}
	if rep.Verified != 7 || rep.Clean() {
		t.Errorf("Verified = %d, Clean = %v", rep.Verified, rep.Clean())
	}

	if rep, err = s.Check(ctx, true); err != nil || rep.Freed == 0 {
		t.Fatalf("repair: %+v %v", rep, err)
	}
	rep, err = s.Check(ctx, false)
	if err != nil || len(rep.OrphanBlobs)+len(rep.OrphanSnapshots) != 0 || len(rep.Corrupt) != 1 || len(rep.Missing) != 1 {
		t.Errorf("after repair: %+v %v", rep, err)
	}
	if _, err := os.Stat(filepath.Join(s.SnapshotDir(a.Layers[1].ChainID))); err != nil {
		t.Errorf("repair removed an owned snapshot: %v", err)
	}
}
