package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/testdata/fuzzcheck"
)

type ctxEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func contextTar(t testing.TB, entries ...ctxEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		if e.typ == 0 {
			e.typ = tar.TypeReg
		}
		if e.mode == 0 {
			e.mode = 0o644
		}
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return b.Bytes()
}

// TestExtractBuildContext: a context unpacks with its files, modes, links
// (gzip too); entries that climb out, directly or through a symlink or a
// hard link, are refused with one sentence and write nothing outside.
func TestExtractBuildContext(t *testing.T) {
	good := contextTar(t, ctxEntry{name: "Dockerfile", body: "FROM busybox\n"}, ctxEntry{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		ctxEntry{name: "bin/run.sh", body: "#!/bin/sh\n", mode: 0o755}, ctxEntry{name: "link", typ: tar.TypeSymlink, link: "/etc/passwd"},
		ctxEntry{name: "hard", typ: tar.TypeLink, link: "Dockerfile"}, ctxEntry{name: "deep/er/file", body: "x"})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good)
	zw.Close()
	for name, body := range map[string][]byte{"plain": good, "gzip": gz.Bytes()} {
		dir := t.TempDir()
		if err := ExtractBuildContext(context.Background(), bytes.NewReader(body), dir, 1<<20); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		st, err := os.Stat(filepath.Join(dir, "bin/run.sh"))
		if err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("%s: run.sh: %v %v", name, st, err)
		}
		if l, err := os.Readlink(filepath.Join(dir, "link")); err != nil || l != "/etc/passwd" {
			t.Errorf("%s: link: %q %v", name, l, err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "hard")); err != nil || string(b) != "FROM busybox\n" {
			t.Errorf("%s: hard link: %q %v", name, b, err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "deep/er/file")); err != nil || string(b) != "x" {
			t.Errorf("%s: deep file: %q %v", name, b, err)
		}
	}
	for name, body := range map[string][]byte{
		"dotdot":       contextTar(t, ctxEntry{name: "../escape", body: "x"}),
		"symlink hop":  contextTar(t, ctxEntry{name: "up", typ: tar.TypeSymlink, link: ".."}, ctxEntry{name: "up/escape", body: "x"}),
		"abs symlink":  contextTar(t, ctxEntry{name: "up", typ: tar.TypeSymlink, link: "/tmp"}, ctxEntry{name: "up/escape", body: "x"}),
		"hard outside": contextTar(t, ctxEntry{name: "h", typ: tar.TypeLink, link: "../escape"}),
		"too big":      contextTar(t, ctxEntry{name: "big", body: strings.Repeat("x", 2000)}),
		"not a tar":    []byte(strings.Repeat("not a tar at all ", 64)),
	} {
		parent := t.TempDir()
		dir := filepath.Join(parent, "ctx")
		os.Mkdir(dir, 0o755)
		err := ExtractBuildContext(context.Background(), bytes.NewReader(body), dir, 1000)
		if !errdefs.IsInvalidArgument(err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one sentence of invalid argument", name, err)
		}
		if ents, _ := os.ReadDir(parent); len(ents) != 1 {
			t.Errorf("%s: wrote outside the context: %v", name, ents)
		}
		if _, err := os.Stat("/tmp/escape"); err == nil {
			t.Errorf("%s: wrote /tmp/escape", name)
		}
	}
}

// FuzzExtractBuildContext: any bytes unpack inside the directory or fail
// with a plain error, and nothing lands outside it.
func FuzzExtractBuildContext(f *testing.F) {
	f.Add(contextTar(f, ctxEntry{name: "Dockerfile", body: "FROM x\n"}))
	f.Add(contextTar(f, ctxEntry{name: "../x", body: "x"}))
	f.Add(contextTar(f, ctxEntry{name: "l", typ: tar.TypeSymlink, link: ".."}, ctxEntry{name: "l/x", body: "x"}))
	f.Add(contextTar(f, ctxEntry{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}))
	f.Fuzz(func(t *testing.T, body []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "ctx")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		err := ExtractBuildContext(context.Background(), bytes.NewReader(body), dir, 1<<20)
		fuzzcheck.Check(t, err, string(body))
		if ents, _ := os.ReadDir(parent); len(ents) != 1 {
			t.Errorf("wrote outside the context: %v", ents)
		}
	})
}
