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

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
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
	want := hashTar(t, upper, exclude)
	img, err := s.Commit(ctx, CommitOptions{Parent: base, UpperDir: upper, Exclude: exclude, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	l := img.Layers[1]
	if l.Digest != want.digest || l.DiffID != want.digest || l.Size != want.size {
		t.Fatalf("layer %+v, want the upper dir's tar %+v", l, want)
	}
	if h := img.Config.History; h[len(h)-1].EmptyLayer || l.CreatedBy != "test" {
		t.Errorf("the lazy layer's history: %+v, layer made by %q", h[len(h)-1], l.CreatedBy)
	}
	if p, _ := s.blobPath(l.Digest); fileExists(p) {
		t.Fatal("a lazy commit wrote the layer's blob")
	}
	if h := img.Config.History[len(img.Config.History)-1]; h.EmptyLayer {
		t.Fatal("a lazy layer's history entry says empty_layer")
	}
	// Its content: "added" once for both its links (1), the symlink's
	// target (5), dir/new (1); the whiteout and the dirs count nothing.
	if hs, err := s.History(ctx, img.ID); err != nil || hs[0].Size != 7 || l.ContentSize != 7 {
		t.Fatalf("history of a lazy layer: %+v, %v; want its content size 7 first", hs, err)
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

// hashTar is the digest and size of DiffTar(dir, exclude...).
func hashTar(t *testing.T, dir string, exclude []string) layerFile {
	t.Helper()
	rc, err := DiffTar(dir, exclude...)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	hr := newHashReader(rc)
	if _, err := io.Copy(io.Discard, hr); err != nil {
		t.Fatal(err)
	}
	return layerFile{digest: hr.digest(), size: hr.n}
}

// TestLazyLayerFallback checks the commits that cannot keep a layer as its
// snapshot alone: an upper dir on another filesystem (the links fail) gets
// its blob at once, and no snapshot or temp dir is left; and that a
// directory's file capability, which a layer tar carries, is in the
// snapshot and in the blob written from it.
func TestLazyLayerFallback(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	shm, err := os.MkdirTemp("/dev/shm", "lazy-")
	if err != nil {
		t.Skip("no /dev/shm:", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	must(t, os.WriteFile(filepath.Join(shm, "f"), []byte("on tmpfs"), 0o644))
	img, err := s.Commit(ctx, CommitOptions{UpperDir: shm, CreatedBy: "tmpfs"})
	if err != nil {
		t.Fatalf("commit of an upper dir on tmpfs: %v", err)
	}
	if p, _ := s.blobPath(img.Layers[0].Digest); !fileExists(p) {
		t.Error("no blob for an upper dir that cannot be linked")
	}
	if _, ok := s.lazyDir(&img.Layers[0]); ok {
		t.Error("a layer with a blob is taken as lazy")
	}
	if ents, _ := os.ReadDir(filepath.Join(s.root, "tmp")); len(ents) != 0 {
		t.Errorf("temp dirs left: %v", ents)
	}

	upper := t.TempDir()
	must(t, os.Mkdir(filepath.Join(upper, "capdir"), 0o755))
	// A version 2 file capability: cap_net_bind_service, permitted.
	capv := []byte{0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if err := unix.Lsetxattr(filepath.Join(upper, "capdir"), "security.capability", capv, 0); err != nil {
		t.Skip("no security.capability xattrs here:", err)
	}
	img, err = s.Commit(ctx, CommitOptions{UpperDir: upper, CreatedBy: "cap"})
	if err != nil {
		t.Fatal(err)
	}
	l := img.Layers[0]
	if want := hashTar(t, upper, nil); l.Digest != want.digest {
		t.Errorf("layer %s, the upper dir's tar %s", l.Digest, want.digest)
	}
	buf := make([]byte, 64)
	if n, err := unix.Lgetxattr(filepath.Join(s.SnapshotDir(l.ChainID), "capdir"), "security.capability", buf); err != nil || string(buf[:n]) != string(capv) {
		t.Errorf("the snapshot's directory lost its capability: %v", err)
	}
	if err := s.Save(ctx, io.Discard, []string{img.ID}); err != nil {
		t.Errorf("save: %v", err)
	}
}

// TestLazyLayerPush pushes an image whose top layer is lazy, on a parent
// with a lazy layer too, removes it and pulls it back: the blobs are written
// for the push, and the pulled layer holds the snapshot's files.
func TestLazyLayerPush(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	host := startRegistry(t, nil)
	s := newStore(t)
	up1, up2 := t.TempDir(), t.TempDir()
	must(t, os.WriteFile(filepath.Join(up1, "one"), []byte("1"), 0o644))
	must(t, os.WriteFile(filepath.Join(up2, "two"), []byte("2"), 0o600))
	parent, err := s.Commit(ctx, CommitOptions{UpperDir: up1, CreatedBy: "one"})
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/lazy/app:v1"
	img, err := s.Commit(ctx, CommitOptions{Parent: parent, UpperDir: up2, CreatedBy: "two", Tags: []string{ref}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range img.Layers {
		if _, ok := s.lazyDir(&l); !ok {
			t.Fatalf("layer %s is not lazy before the push", l.Digest)
		}
	}
	if err := s.Push(ctx, ref, PushOptions{Keychain: authn.NewMultiKeychain()}); err != nil {
		t.Fatalf("push: %v", err)
	}
	if _, err := s.Remove(ctx, img.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(ctx, parent.ID, true, nil); err != nil && !errdefs.IsNotFound(err) {
		t.Fatal(err)
	}
	assertNothingStored(t, s)
	got, err := s.Pull(ctx, ref, PullOptions{})
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	if got.ID != img.ID {
		t.Errorf("pulled %s, pushed %s", got.ID, img.ID)
	}
	root := mountImage(t, s, got)
	for name, want := range map[string]string{"one": "1", "two": "2"} {
		if b, err := os.ReadFile(filepath.Join(root, name)); err != nil || string(b) != want {
			t.Errorf("%s in the pulled image: %q %v", name, b, err)
		}
	}
}
