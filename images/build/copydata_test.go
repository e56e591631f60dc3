package build

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
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
