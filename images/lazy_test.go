package images

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// TestLazyLayer checks a build step's layer kept as its snapshot alone: the
// commit writes no blob and makes the snapshot from the upper dir by hard
// links; the snapshot holds exactly what unpacking the layer gives (files,
// hard links, symlinks, whiteouts, opaque directories, modes, owners and
// mtimes, without the excluded paths); the blob written later from it (as
// save and push do) has the layer's digest, which is that of the upper
// dir's own tar; a check of the store verifies it meanwhile. An upper dir
// with overlay metadata a layer cannot carry gets its blob at once and no
// snapshot.
func TestLazyLayer(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	base, err := s.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"sh"}}, layerOf(t, makeTar(t,
		tarEntry{name: "drop", body: "d"}, tarEntry{name: "dir/", typ: '5', mode: 0o755},
		tarEntry{name: "dir/old", body: "o"}, tarEntry{name: "etc/", typ: '5', mode: 0o755}))), "base:1")
	if err != nil {
		t.Fatal(err)
	}
	root := mountImage(t, s, base)
	upper := filepath.Join(filepath.Dir(root), "u")
	j := func(p string) string { return filepath.Join(root, p) }
	must(t, os.WriteFile(j("added"), []byte("a"), 0o640))
	must(t, os.Chown(j("added"), 5, 6))
	must(t, os.Link(j("added"), j("hard")))
	must(t, os.Symlink("added", j("sym")))
	must(t, os.Remove(j("drop")))
	must(t, os.RemoveAll(j("dir")))
	must(t, os.Mkdir(j("dir"), 0o750))
	must(t, os.WriteFile(j("dir/new"), []byte("n"), 0o644))
	must(t, os.MkdirAll(j("deep/er"), 0o700))
	must(t, os.Chmod(j("deep"), 0o1777))
	must(t, os.WriteFile(j("etc/hosts"), nil, 0o644))
	exclude := []string{"/etc/hosts"}
	want, err := hashUpper(ctx, upper, exclude)
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.Commit(ctx, CommitOptions{Parent: base, UpperDir: upper, Exclude: exclude, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	l := img.Layers[1]
	if l.Digest != want.digest || l.DiffID != want.digest || l.Size != want.size {
		t.Fatalf("layer %+v, want the upper dir's tar %+v", l, want)
	}
	if p, _ := s.blobPath(l.Digest); fileExists(p) {
		t.Fatal("a lazy commit wrote the layer's blob")
	}
	if h := img.Config.History[len(img.Config.History)-1]; h.EmptyLayer {
		t.Fatal("a lazy layer's history entry says empty_layer")
	}
	if hs, err := s.History(ctx, img.ID); err != nil || hs[0].Size != l.Size {
		t.Fatalf("history of a lazy layer: %+v, %v; want its size %d first", hs, err, l.Size)
	}
	if rep, err := s.Check(ctx, false); err != nil || !rep.Clean() || rep.Verified < 4 {
		t.Fatalf("check with a lazy layer: %+v, %v", rep, err)
	}
	if err := s.ensureBlobs(ctx, img); err != nil {
		t.Fatalf("write the lazy blob: %v", err)
	}
	if p, _ := s.blobPath(l.Digest); !fileExists(p) {
		t.Fatal("ensureBlobs wrote no blob")
	}
	if err := s.verifyImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	unpacked := t.TempDir()
	if err := s.unpack(ctx, unpacked, &l); err != nil {
		t.Fatal(err)
	}
	compareTrees(t, treeOf(t, s.SnapshotDir(l.ChainID)), treeOf(t, unpacked))
	for _, d := range []string{s.SnapshotDir(l.ChainID), unpacked} {
		var a, b unix.Stat_t
		if unix.Lstat(filepath.Join(d, "added"), &a) != nil || unix.Lstat(filepath.Join(d, "hard"), &b) != nil || a.Ino != b.Ino {
			t.Errorf("%s: added and hard are not one file", d)
		}
	}

	// A redirected directory (overlay redirect_dir) cannot be a snapshot.
	must(t, os.Mkdir(j("moved"), 0o755))
	must(t, unix.Lsetxattr(filepath.Join(upper, "moved"), "trusted.overlay.redirect", []byte("/dir"), 0))
	img2, err := s.Commit(ctx, CommitOptions{Parent: base, UpperDir: upper, Exclude: exclude, CreatedBy: "test2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(s.SnapshotDir(img2.Layers[1].ChainID))); err == nil {
		t.Error("a refused adoption left a snapshot")
	}
	if err := s.verifyImage(ctx, img2); err != nil {
		t.Errorf("the fallback commit: %v", err)
	}
}

// TestLazyLayerCorrupt checks that a lazy layer whose snapshot is corrupted is
// reported by the check and refused by save, not handed on.
func TestLazyLayerCorrupt(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	upper := t.TempDir()
	must(t, os.WriteFile(filepath.Join(upper, "f"), []byte("content"), 0o644))
	img, err := s.Commit(ctx, CommitOptions{UpperDir: upper, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(s.SnapshotDir(img.Layers[0].ChainID), "f"), []byte("changed"), 0o644))
	rep, err := s.Check(ctx, false)
	if err != nil || len(rep.Corrupt) != 1 || rep.Corrupt[0].Digest != img.Layers[0].Digest {
		t.Fatalf("check: %+v, %v", rep, err)
	}
	if err := s.Save(ctx, io.Discard, []string{img.ID}); !errors.Is(err, ErrCorruptBlob) {
		t.Fatalf("save of a corrupt lazy layer: %v", err)
	}
	if p, _ := s.blobPath(img.Layers[0].Digest); fileExists(p) {
		t.Error("a corrupt lazy layer's blob was put in place")
	}
}

// compareTrees reports the entries where got and want differ.
func compareTrees(t *testing.T, got, want map[string]string) {
	t.Helper()
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: snapshot %q, unpacked %q", p, got[p], w)
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: snapshot %q, not in the layer", p, g)
		}
	}
	if len(want) < 10 {
		t.Errorf("the layer has %d entries: %v", len(want), want)
	}
}

// treeOf describes each entry under dir: type, mode, owner, mtime, content,
// link target, device and opaque mark.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		// No link count: the upper dir, still there, shares the inodes.
		desc := fmt.Sprintf("mode=%o uid=%d gid=%d rdev=%d", st.Mode, st.Uid, st.Gid, st.Rdev)
		// Unpacking makes whiteouts anew (their time is the unpack's): a
		// whiteout's time means nothing to overlay.
		if rel != "." && st.Mode&unix.S_IFMT != unix.S_IFCHR {
			desc += fmt.Sprintf(" mtime=%d", st.Mtim.Sec)
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" sum=%x", sha256.Sum256(b))
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			desc += " -> " + target
		}
		buf := make([]byte, 16)
		if n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", buf); err == nil {
			desc += " opaque=" + string(buf[:n])
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
