package volumes

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// makeImageTree builds a small tree with an owned file, a setgid dir, an xattr, a
// symlink, a hard link and old mtimes.
func makeImageTree(t *testing.T, src string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(src, "owned"), []byte("hello"), 0o640))
	must(os.Chown(filepath.Join(src, "owned"), 1234, 5678))
	must(unix.Chmod(filepath.Join(src, "sub"), 0o2750))
	must(unix.Lsetxattr(filepath.Join(src, "owned"), "user.berth", []byte("kept"), 0))
	must(os.Symlink("../owned", filepath.Join(src, "sub", "link")))
	must(os.Link(filepath.Join(src, "owned"), filepath.Join(src, "sub", "hard")))
	must(os.Chown(src, 33, 33))
	must(os.Chmod(src, 0o710))
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	must(os.Chtimes(filepath.Join(src, "owned"), old, old))
	must(os.Chtimes(filepath.Join(src, "sub"), old, old))
}

func statT(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

func TestCopyUp(t *testing.T) {
	src, vol := t.TempDir(), t.TempDir()
	makeImageTree(t, src)
	if err := CopyUp(src, vol); err != nil {
		t.Fatal(err)
	}
	owned := statT(t, filepath.Join(vol, "owned"))
	if owned.Uid != 1234 || owned.Gid != 5678 || owned.Mode&0o7777 != 0o640 {
		t.Errorf("owned: uid %d gid %d mode %o", owned.Uid, owned.Gid, owned.Mode&0o7777)
	}
	if owned.Mtim.Sec != time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC).Unix() {
		t.Errorf("owned mtime %v not kept", owned.Mtim)
	}
	buf := make([]byte, 16)
	n, err := unix.Lgetxattr(filepath.Join(vol, "owned"), "user.berth", buf)
	if err != nil || string(buf[:n]) != "kept" {
		t.Errorf("xattr: %q %v", buf[:n], err)
	}
	sub := statT(t, filepath.Join(vol, "sub"))
	if sub.Mode&0o7777 != 0o2750 || sub.Mtim.Sec != owned.Mtim.Sec {
		t.Errorf("sub: mode %o mtime %v", sub.Mode&0o7777, sub.Mtim)
	}
	if target, err := os.Readlink(filepath.Join(vol, "sub", "link")); err != nil || target != "../owned" {
		t.Errorf("symlink: %q %v", target, err)
	}
	if hard := statT(t, filepath.Join(vol, "sub", "hard")); hard.Ino != owned.Ino {
		t.Errorf("hard link not kept: inode %d vs %d", hard.Ino, owned.Ino)
	}
	root := statT(t, vol)
	if root.Uid != 33 || root.Gid != 33 || root.Mode&0o7777 != 0o710 {
		t.Errorf("volume root: uid %d mode %o, want the source's", root.Uid, root.Mode&0o7777)
	}
}

func TestCopyUpNoop(t *testing.T) {
	src, vol := t.TempDir(), t.TempDir()
	makeImageTree(t, src)
	if err := os.WriteFile(filepath.Join(vol, "mine"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CopyUp(src, vol); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(vol)
	if len(entries) != 1 || entries[0].Name() != "mine" {
		t.Fatalf("non-empty volume changed: %v", entries)
	}
	empty := t.TempDir()
	for _, s := range []string{filepath.Join(src, "missing"), filepath.Join(src, "owned")} {
		if err := CopyUp(s, empty); err != nil {
			t.Fatalf("copy-up from %s: %v", s, err)
		}
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatalf("copy-up from a missing or non-dir source wrote %v", entries)
	}
}

func BenchmarkCopyUp10k(b *testing.B) {
	src := b.TempDir()
	for d := 0; d < 100; d++ {
		dir := filepath.Join(src, fmt.Sprintf("d%03d", d))
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := 0; f < 100; f++ {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d", f)), []byte("content of a small file\n"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		vol := filepath.Join(b.TempDir(), "vol")
		os.Mkdir(vol, 0o755)
		b.StartTimer()
		if err := CopyUp(src, vol); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(10000, "files/op")
}

func getXattrInto(p string, buf []byte) (int, error) { return unix.Lgetxattr(p, "user.berth", buf) }
