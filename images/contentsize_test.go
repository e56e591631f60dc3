package images

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestTarContentSize(t *testing.T) {
	cases := []struct {
		name    string
		entries []tarEntry
		want    int64
	}{
		{"one small file", []tarEntry{{name: "f3", body: "abc"}}, 3},
		{"directories count nothing", []tarEntry{{name: "d/", typ: '5', mode: 0o755}, {name: "d/e/", typ: '5', mode: 0o755}}, 0},
		{"files add up", []tarEntry{{name: "d/", typ: '5', mode: 0o755}, {name: "d/a", body: "12345"}, {name: "b", body: "xy"}}, 7},
		{"a hard link counts once", []tarEntry{{name: "a", body: "12345"}, {name: "b", typ: '1', link: "a"}}, 5},
		{"a symlink counts its target", []tarEntry{{name: "bin/sh", typ: '2', link: "busybox"}}, 7},
		{"whiteouts count nothing", []tarEntry{{name: "d/.wh.gone", body: ""}, {name: "d/.wh..wh..opq", body: ""}}, 0},
		{"a later entry replaces an earlier", []tarEntry{{name: "a", body: "12345"}, {name: "a", body: "1"}}, 1},
		{"a fifo counts nothing", []tarEntry{{name: "p", typ: '6'}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := tarContentSize(bytes.NewReader(makeTar(t, c.entries...)))
			if err != nil || got != c.want {
				t.Errorf("tarContentSize = %d, %v; want %d", got, err, c.want)
			}
		})
	}
}

// TestDirContentSizeAgreesWithTar unpacks a layer as the store does and
// measures the dir: both ways give the same figure.
func TestDirContentSizeAgreesWithTar(t *testing.T) {
	requireRoot(t)
	b := makeTar(t, tarEntry{name: "d/", typ: '5', mode: 0o755}, tarEntry{name: "d/a", body: "12345"},
		tarEntry{name: "d/h", typ: '1', link: "d/a"}, tarEntry{name: "s", typ: '2', link: "d/a"},
		tarEntry{name: "d/.wh.gone", body: ""}, tarEntry{name: "e/", typ: '5', mode: 0o755}, tarEntry{name: "e/.wh..wh..opq", body: ""})
	dir := t.TempDir()
	if err := ApplyLayer(dir, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	fromTar, err := tarContentSize(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	fromDir, err := dirContentSize(context.Background(), dir)
	if err != nil || fromDir != fromTar || fromTar != 8 {
		t.Errorf("dir %d (%v), tar %d; want 8 both", fromDir, err, fromTar)
	}
}

// TestImageSizeIsContentSize: an image's size and its history rows count
// the layer's files (3 bytes), not its tar (2,048 bytes), as Docker does;
// the layer's blob size stays the tar's.
func TestImageSizeIsContentSize(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	b := makeTar(t, tarEntry{name: "f3", body: "abc"})
	img, err := s.Import(ctx, bytes.NewReader(b), "three:latest")
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := s.AddImage(ctx, imageOf(t, v1.Config{}, layerOf(t, b), layerOf(t, makeTar(t, tarEntry{name: "g", body: "12345"}))), "pulled:latest")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		img  *Image
		want int64
	}{{img, 3}, {pulled, 8}} {
		if c.img.Size != c.want {
			t.Errorf("%v: Size = %d, want %d", c.img.RepoTags, c.img.Size, c.want)
		}
		if c.img.Layers[0].Size != int64(len(b)) && c.img.Layers[0].MediaType == "application/vnd.oci.image.layer.v1.tar" {
			t.Errorf("%v: blob size %d, want the tar's %d", c.img.RepoTags, c.img.Layers[0].Size, len(b))
		}
	}
	h, err := s.History(ctx, "three")
	if err != nil || len(h) != 1 || h[0].Size != 3 {
		t.Errorf("History = %+v, %v; want one row of size 3", h, err)
	}
	var n int64
	if err := s.db.QueryRow("SELECT content_size FROM img_layers WHERE diff_id = ?", img.Layers[0].DiffID).Scan(&n); err != nil || n != 3 {
		t.Errorf("img_layers has %d, %v for the layer", n, err)
	}
}

// TestLegacyRowsGetContentSizes: a data root recorded before content sizes
// (its rows say the blob sizes) opens with the right sizes.
func TestLegacyRowsGetContentSizes(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	img, err := s.Import(ctx, bytes.NewReader(makeTar(t, tarEntry{name: "f3", body: "abc"})), "old:latest")
	if err != nil {
		t.Fatal(err)
	}
	legacy := `[{"DiffID":"` + img.Layers[0].DiffID + `","ChainID":"` + img.Layers[0].ChainID + `","Digest":"` + img.Layers[0].Digest +
		`","MediaType":"` + img.Layers[0].MediaType + `","Size":2048,"CreatedBy":""}]`
	for _, q := range []string{"UPDATE img_images SET content_sized = 0, size = 2048, layers = '" + legacy + "'", "DELETE FROM img_layers"} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s2 := openStore(t, dir)
	got, err := s2.Resolve("old")
	if err != nil || got.Size != 3 || got.Layers[0].ContentSize != 3 || got.Layers[0].Size != 2048 {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
	var left int
	if err := s2.db.QueryRow("SELECT count(*) FROM img_images WHERE content_sized = 0").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d rows left unmeasured, %v", left, err)
	}
}

// TestBusyboxSizeIsItsFiles: busybox's size is the sum of its files' sizes
// (each inode once, symlinks by their target's length), as dockerd shows it.
func TestBusyboxSizeIsItsFiles(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	img, err := s.Bootstrap(context.Background(), "busybox", nil)
	if err != nil {
		t.Fatal(err)
	}
	root := mountImage(t, s, img)
	seen := map[uint64]bool{}
	var sum int64
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if ino := fi.Sys().(*syscall.Stat_t).Ino; !seen[ino] {
			seen[ino] = true
			sum += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if img.Size != sum || sum == 0 {
		t.Errorf("busybox Size = %d, its files hold %d", img.Size, sum)
	}
}
