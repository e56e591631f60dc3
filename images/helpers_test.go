package images

import (
	"archive/tar"
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sys/unix"
	_ "modernc.org/sqlite"
)

// newStore opens a store in a fresh temp dir with its own SQLite database.
func newStore(t testing.TB) *Store {
	t.Helper()
	dir := t.TempDir()
	return openStore(t, dir)
}

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "berth.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(filepath.Join(dir, "images"), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tarEntry is one entry of a test tarball.
type tarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
	size             int64 // when nonzero, overrides len(body) in the header
}

func makeTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Size: int64(len(e.body))}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		if hdr.Typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// layerOf makes a gzip layer from a tarball's bytes.
func layerOf(t testing.TB, b []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// imageOf stacks layers on an empty image with a config.
func imageOf(t testing.TB, cfg v1.Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// mountImage prepares img and mounts it with an overlay (lowerdir relative to the
// store root, as the engine does) on a temp dir, unmounted at cleanup.
func mountImage(t *testing.T, s *Store, img *Image) string {
	t.Helper()
	lowers, err := s.Prepare(context.Background(), img)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	dir := t.TempDir()
	target, upper, work := filepath.Join(dir, "m"), filepath.Join(dir, "u"), filepath.Join(dir, "w")
	for _, d := range []string{target, upper, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := "lowerdir=" + strings.Join(lowers, ":") + ",upperdir=" + upper + ",workdir=" + work
	if len(data) >= 4096 {
		t.Fatalf("mount data is %d bytes, does not fit a page", len(data))
	}
	t.Chdir(s.Root())
	if err := unix.Mount("overlay", target, "overlay", 0, data); err != nil {
		t.Fatalf("mount overlay (%d bytes of options): %v", len(data), err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", target, err)
		}
	})
	return target
}

func runIn(t *testing.T, root string, args ...string) string {
	t.Helper()
	out, err := exec.Command("chroot", append([]string{root}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("chroot %s %v: %v: %s", root, args, err, out)
	}
	return string(out)
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (overlay mounts, device nodes)")
	}
}
