package volumes

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

// TestExtractNoOverwriteDirNonDir: with the option, a directory is not
// replaced by a file nor a file by a directory; without it both are.
func TestExtractNoOverwriteDirNonDir(t *testing.T) {
	for _, keep := range []bool{true, false} {
		root := fakeRootfs(t)
		dst := filepath.Join(root, "dst")
		if err := os.MkdirAll(filepath.Join(dst, "dir", "inner"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, "file"), []byte("f"), 0o644); err != nil {
			t.Fatal(err)
		}
		o := ExtractOptions{NoOverwriteDirNonDir: keep}
		fileOverDir := makeTar(t, tar.Header{Name: "dir", Typeflag: tar.TypeReg, Mode: 0o644})
		dirOverFile := makeTar(t, tar.Header{Name: "file", Typeflag: tar.TypeDir, Mode: 0o755})
		for name, archive := range map[string][]byte{"file over dir": fileOverDir, "dir over file": dirOverFile} {
			err := ExtractIntoWith(root, "/dst", bytes.NewReader(archive), o)
			if keep && !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("%s with the option: %v, want an invalid argument", name, err)
			}
			if !keep && err != nil {
				t.Errorf("%s without the option: %v", name, err)
			}
		}
		st, err := os.Stat(filepath.Join(dst, "dir"))
		if err != nil || st.IsDir() != keep {
			t.Errorf("keep=%v: dir is a directory: %v (%v)", keep, err == nil && st.IsDir(), err)
		}
	}
}
