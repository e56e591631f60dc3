package volumes

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

// fakeRootfs makes a container root with its own /etc/shadow and symlinks that
// would reach the host's if followed on the host.
func fakeRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, step := range []error{
		os.MkdirAll(filepath.Join(root, "etc", "sub"), 0o755),
		os.WriteFile(filepath.Join(root, "etc", "shadow"), []byte("container-shadow\n"), 0o640),
		os.WriteFile(filepath.Join(root, "etc", "sub", "f"), []byte("f"), 0o644),
		os.Symlink("/etc/shadow", filepath.Join(root, "lnk")),
		os.Symlink("/etc", filepath.Join(root, "etcl")),
		os.Symlink("../../../../../../../../etc/shadow", filepath.Join(root, "up")),
		os.Symlink("../../../../../../../../", filepath.Join(root, "updir")),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	return root
}

type entry struct {
	name, link, body string
	typ              byte
}

func readTar(t *testing.T, data []byte) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		out = append(out, entry{hdr.Name, hdr.Linkname, string(body), hdr.Typeflag})
	}
}

func TestArchivePathStaysInRoot(t *testing.T) {
	root := fakeRootfs(t)
	tests := []struct {
		path   string
		follow bool
		want   []entry
	}{
		{"/lnk", true, []entry{{"lnk", "", "container-shadow\n", tar.TypeReg}}},
		{"/up", true, []entry{{"up", "", "container-shadow\n", tar.TypeReg}}},
		{"/etcl/shadow", false, []entry{{"shadow", "", "container-shadow\n", tar.TypeReg}}},
		{"/updir/etc/shadow", false, []entry{{"shadow", "", "container-shadow\n", tar.TypeReg}}},
		{"../../../etc/shadow", false, []entry{{"shadow", "", "container-shadow\n", tar.TypeReg}}},
		{"/lnk", false, []entry{{"lnk", "/etc/shadow", "", tar.TypeSymlink}}},
		{"/etc", false, []entry{{"etc/", "", "", tar.TypeDir}, {"etc/shadow", "", "container-shadow\n", tar.TypeReg},
			{"etc/sub/", "", "", tar.TypeDir}, {"etc/sub/f", "", "f", tar.TypeReg}}},
		{"/etc/sub/.", false, []entry{{"./", "", "", tar.TypeDir}, {"./f", "", "f", tar.TypeReg}}}, // ./f, as dockerd names a directory's contents
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		_, err := ArchivePathWith(root, tt.path, ArchiveOptions{FollowLink: tt.follow}, &buf)
		if err != nil {
			t.Errorf("archive %s: %v", tt.path, err)
			continue
		}
		if got := readTar(t, buf.Bytes()); !slices.Equal(got, tt.want) {
			t.Errorf("archive %s (follow %v) = %+v, want %+v", tt.path, tt.follow, got, tt.want)
		}
	}
	if _, err := ArchivePath(root, "/nope", io.Discard); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("archive missing: %v", err)
	}
	if _, err := ArchivePath(root, "/etc/shadow/", io.Discard); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("archive file/: %v", err)
	}
}

func TestArchiveExtractRoundTrip(t *testing.T) {
	src := t.TempDir()
	makeImageTree(t, filepath.Join(src, "tree"))
	var buf bytes.Buffer
	info, err := ArchivePath(src, "/tree", &buf)
	if err != nil || !info.IsDir() {
		t.Fatalf("archive: %v %v", info, err)
	}
	dst := t.TempDir()
	os.Mkdir(filepath.Join(dst, "in"), 0o755)
	data := buf.Bytes()
	if err := ExtractIntoWith(dst, "/in", bytes.NewReader(data), ExtractOptions{KeepOwner: true}); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(dst, "in", "tree")
	owned := statT(t, filepath.Join(got, "owned"))
	if owned.Uid != 1234 || owned.Gid != 5678 || owned.Mode&0o7777 != 0o640 {
		t.Errorf("owned: %d:%d %o", owned.Uid, owned.Gid, owned.Mode&0o7777)
	}
	if hard := statT(t, filepath.Join(got, "sub", "hard")); hard.Ino != owned.Ino {
		t.Errorf("hard link lost")
	}
	if l, _ := os.Readlink(filepath.Join(got, "sub", "link")); l != "../owned" {
		t.Errorf("symlink = %q", l)
	}
	buf2 := make([]byte, 8)
	if n, err := getXattrInto(filepath.Join(got, "owned"), buf2); err != nil || string(buf2[:n]) != "kept" {
		t.Errorf("xattr: %v", err)
	}
	if sub := statT(t, filepath.Join(got, "sub")); sub.Mode&0o7777 != 0o2750 || sub.Mtim.Sec != owned.Mtim.Sec {
		t.Errorf("sub dir: %o %v", sub.Mode&0o7777, sub.Mtim)
	}
	// docker cp without -a: root owns what it writes
	if err := ExtractInto(dst, "/etcl/../in2", bytes.NewReader(data)); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("extract to missing dir: %v", err)
	}
	os.Mkdir(filepath.Join(dst, "in2"), 0o755)
	if err := ExtractInto(dst, "/in2", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if st := statT(t, filepath.Join(dst, "in2", "tree", "owned")); st.Uid != 0 || st.Gid != 0 {
		t.Errorf("without KeepOwner: %d:%d", st.Uid, st.Gid)
	}
	if err := ExtractInto(dst, "/in2/tree/owned", bytes.NewReader(data)); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("extract into a file: %v", err)
	}
}

// makeTar builds an archive: a harmless file first, then the given entries.
func makeTar(t *testing.T, hdrs ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	all := append([]tar.Header{{Name: "good", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2}}, hdrs...)
	for _, h := range all {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func TestExtractRefusesEscapes(t *testing.T) {
	reg := func(name string) tar.Header { return tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644} }
	sym := func(name, to string) tar.Header {
		return tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: to}
	}
	hard := func(name, to string) tar.Header { return tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: to} }
	tests := []struct {
		name    string
		entries []tar.Header
		mention string
	}{
		{"dotdot", []tar.Header{reg("../evil")}, "../evil"},
		{"deep dotdot", []tar.Header{reg("a/../../evil")}, "a/../../evil"},
		{"absolute", []tar.Header{reg("/tmp/evil")}, "/tmp/evil"},
		{"through absolute symlink", []tar.Header{sym("lnk", "/"), reg("lnk/tmp/evil")}, "lnk/tmp/evil"},
		{"through relative symlink", []tar.Header{sym("d/lnk", "../../../.."), reg("d/lnk/evil")}, "d/lnk"},
		{"hard link out", []tar.Header{hard("h", "../../etc/shadow")}, "../../etc/shadow"},
		{"hard link absolute", []tar.Header{hard("h", "/etc/shadow")}, "/etc/shadow"},
		{"hard link through symlink", []tar.Header{sym("lnk", "/etc"), hard("h", "lnk/shadow")}, "lnk"},
	}
	for _, tt := range tests {
		root := fakeRootfs(t)
		dst := filepath.Join(root, "dst")
		os.Mkdir(dst, 0o755)
		err := ExtractInto(root, "/dst", bytes.NewReader(makeTar(t, tt.entries...)))
		if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s: %v, want invalid argument naming %q", tt.name, err, tt.mention)
		}
		if entries, _ := os.ReadDir(dst); len(entries) != 0 {
			t.Errorf("%s: refused archive wrote %v", tt.name, entries)
		}
		for _, p := range []string{filepath.Join(root, "evil"), "/tmp/evil", filepath.Join(root, "tmp")} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s: %s written", tt.name, p)
			}
		}
	}
}

func TestExtractThroughContainerSymlinkStaysInRoot(t *testing.T) {
	root := fakeRootfs(t)
	// /updir in the container points far up; resolved in the root it is the root.
	if err := ExtractInto(root, "/updir", bytes.NewReader(makeTar(t))); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "good")); err != nil || string(b) != "xx" {
		t.Fatalf("extract through /updir: %q %v", b, err)
	}
	// an entry over an existing symlink replaces the link, never writes its target
	data := makeTar(t, tar.Header{Name: "lnk", Typeflag: tar.TypeReg, Mode: 0o600, Size: 3})
	if err := ExtractInto(root, "/", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc", "shadow")); string(b) != "container-shadow\n" {
		t.Fatalf("write through a symlink changed its target: %q", b)
	}
	if st, err := os.Lstat(filepath.Join(root, "lnk")); err != nil || !st.Mode().IsRegular() {
		t.Fatalf("lnk not replaced: %v", err)
	}
}
