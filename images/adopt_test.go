package images

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// TestAdoptSnapshot checks that a snapshot adopted from an upper dir holds
// exactly what unpacking the layer committed from it gives: files, hard
// links, symlinks, whiteouts, opaque directories, modes, owners and mtimes,
// without the excluded paths; and that an upper dir with overlay metadata a
// layer cannot carry is refused, leaving no snapshot.
func TestAdoptSnapshot(t *testing.T) {
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
	diff, err := DiffTar(upper, exclude...)
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.Commit(ctx, CommitOptions{Parent: base, Layer: diff, CreatedBy: "test"})
	diff.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AdoptSnapshot(ctx, img, upper, exclude...); err != nil {
		t.Fatalf("AdoptSnapshot: %v", err)
	}
	l := img.Layers[1]
	unpacked := t.TempDir()
	if err := s.unpack(ctx, unpacked, &l); err != nil {
		t.Fatal(err)
	}
	got, want := treeOf(t, s.SnapshotDir(l.ChainID)), treeOf(t, unpacked)
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: adopted %q, unpacked %q", p, got[p], w)
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: adopted %q, not in the layer", p, g)
		}
	}
	for _, d := range []string{s.SnapshotDir(l.ChainID), unpacked} {
		var a, b unix.Stat_t
		if unix.Lstat(filepath.Join(d, "added"), &a) != nil || unix.Lstat(filepath.Join(d, "hard"), &b) != nil || a.Ino != b.Ino {
			t.Errorf("%s: added and hard are not one file", d)
		}
	}
	if len(want) < 10 {
		t.Errorf("the layer has %d entries: %v", len(want), want)
	}

	// A redirected directory (overlay redirect_dir) is refused.
	must(t, os.Mkdir(j("moved"), 0o755))
	must(t, unix.Lsetxattr(filepath.Join(upper, "moved"), "trusted.overlay.redirect", []byte("/dir"), 0))
	diff, err = DiffTar(upper, exclude...)
	if err != nil {
		t.Fatal(err)
	}
	img2, err := s.Commit(ctx, CommitOptions{Parent: base, Layer: diff, CreatedBy: "test2"})
	diff.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AdoptSnapshot(ctx, img2, upper, exclude...); err == nil {
		t.Error("adopted an upper dir with a redirected directory")
	}
	if _, err := os.Stat(filepath.Dir(s.SnapshotDir(img2.Layers[1].ChainID))); err == nil {
		t.Error("a refused adoption left a snapshot")
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
