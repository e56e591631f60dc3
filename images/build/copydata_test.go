package build

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCopyData checks each way copyData copies: copy_file_range within one
// file system, sendfile into another (tmpfs), user space from a pipe (which
// neither kernel copy takes), from the offset the source is at.
func TestCopyData(t *testing.T) {
	data := make([]byte, 3<<20+123)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rnd.Uint32())
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	shm, err := os.MkdirTemp("/dev/shm", "copydata-")
	if err != nil {
		t.Skip("no /dev/shm:", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	openSrc := func(t *testing.T) *os.File {
		f, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	pipeSrc := func(t *testing.T) *os.File {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() { w.Write(data); w.Close() }()
		t.Cleanup(func() { r.Close() })
		return r
	}
	for _, tc := range []struct {
		name, dst string
		src       func(*testing.T) *os.File
	}{
		{"same file system", filepath.Join(dir, "dst"), openSrc},
		{"other file system", filepath.Join(shm, "dst"), openSrc},
		{"from a pipe", filepath.Join(dir, "dst-pipe"), pipeSrc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.src(t)
			out, err := os.Create(tc.dst)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			if err := copyData(out, in); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(tc.dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("copied %d bytes, not the %d of the source", len(got), len(data))
			}
		})
	}
}

// TestCopyFileReplaces checks that copyFile puts a new file at dst whatever
// is there: nothing, a file (another hard link to it keeps its content), a
// symlink (never written through, even dangling) or a FIFO.
func TestCopyFileReplaces(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(src, []byte("new"), 0o644))
	outside := filepath.Join(dir, "outside")
	must(os.WriteFile(outside, []byte("outside"), 0o644))
	cases := map[string]func(dst string){
		"nothing": func(string) {},
		"file": func(dst string) {
			must(os.WriteFile(dst, []byte("old content, longer"), 0o600))
			must(os.Link(dst, dst+".other"))
		},
		"symlink":          func(dst string) { must(os.Symlink(outside, dst)) },
		"dangling symlink": func(dst string) { must(os.Symlink(filepath.Join(dir, "nowhere"), dst)) },
		"fifo":             func(dst string) { must(unix.Mkfifo(dst, 0o644)) },
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			setup(dst)
			if err := copyFile(src, dst); err != nil {
				t.Fatalf("copyFile: %v", err)
			}
			fi, err := os.Lstat(dst)
			if err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("dst is %v (%v), want a regular file", fi.Mode(), err)
			}
			if b, _ := os.ReadFile(dst); string(b) != "new" {
				t.Errorf("dst holds %q", b)
			}
			if b, _ := os.ReadFile(outside); string(b) != "outside" {
				t.Errorf("written through a symlink: outside holds %q", b)
			}
			if b, err := os.ReadFile(dst + ".other"); err == nil && string(b) != "old content, longer" {
				t.Errorf("the old file's other link holds %q", b)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("a dangling symlink's target was created")
	}
}
