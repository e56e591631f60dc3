package volumes

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"berth/testdata/fuzzcheck"
)

// dockerName is Docker's rule for container and volume names.
var dockerName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// FuzzValidateName: a volume name is accepted exactly when it matches
// Docker's rule, has no "..", and fits one directory entry; errors are plain.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"data", "a", "ab", "a..b", "-x", "x/y", "é", "a_b.c-d", strings.Repeat("a", 255), strings.Repeat("a", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		want := dockerName.MatchString(name) && !strings.Contains(name, "..") && len(name) <= MaxNameLen
		if (err == nil) != want {
			t.Fatalf("ValidateName(%q) = %v, want ok=%v", name, err, want)
		}
		fuzzcheck.Check(t, err, name)
	})
}

// tarFromSpec builds an archive from lines "TYPE NAME [LINK]" (TYPE f file,
// d directory, l symlink, h hard link), so that the fuzzer changes entries
// rather than checksums.
func tarFromSpec(spec string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, line := range strings.Split(spec, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		h := tar.Header{Name: fields[1], Mode: 0o755}
		if len(fields) > 2 {
			h.Linkname = fields[2]
		}
		switch fields[0] {
		case "f":
			h.Typeflag, h.Size = tar.TypeReg, 1
		case "d":
			h.Typeflag = tar.TypeDir
		case "l":
			h.Typeflag = tar.TypeSymlink
		case "h":
			h.Typeflag = tar.TypeLink
		default:
			continue
		}
		if tw.WriteHeader(&h) != nil {
			continue
		}
		if h.Size == 1 {
			tw.Write([]byte("x"))
		}
	}
	tw.Close()
	return buf.Bytes()
}

// FuzzExtract untars fuzzed archives (`berth cp - CONTAINER:PATH`) into a
// container root that holds symlinks pointing out of it: nothing is ever
// written outside the root, nothing panics, and errors are plain.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"d a\nf a/b\nl a/c b\nh a/d a/b",
		"f ../evil", "f /abs", "l lnk /\nf lnk/x", "l d/lnk ../../..\nf d/lnk/x", "h h ../out/x",
		"f out/x", "f up/x", "f evil/x", "l evil x\nf evil", "d sub\nl sub/up ../..\nh x sub/up/out/y",
		"f a\nd a\nf a/b", "l a .\nf a/a/a/x", "h a a", "f ./.././x", "l x ..\nh y x/out/z",
	} {
		f.Add(s, "/")
		f.Add(s, "/sub")
	}
	f.Fuzz(func(t *testing.T, spec, dst string) {
		base := t.TempDir()
		root, out := filepath.Join(base, "root"), filepath.Join(base, "out")
		for _, d := range []string{filepath.Join(root, "sub"), out} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		// Symlinks in the container that lead out of it as host paths.
		os.Symlink(out, filepath.Join(root, "evil"))
		os.Symlink("../out", filepath.Join(root, "up"))
		os.Symlink("../../out", filepath.Join(root, "sub", "up"))
		err := ExtractInto(root, dst, bytes.NewReader(tarFromSpec(spec)))
		fuzzcheck.Check(t, err, spec, dst)
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Fatalf("archive %q into %q wrote %s outside the root", spec, dst, ents[0].Name())
		}
		if ents, _ := os.ReadDir(base); len(ents) != 2 {
			t.Fatalf("archive %q into %q wrote next to the root: %v", spec, dst, ents)
		}
	})
}

// FuzzListFilters: `volume ls --filter KEY=VALUE` (a name regexp, dangling,
// label, driver) builds a predicate or fails with a plain error.
func FuzzListFilters(f *testing.F) {
	for _, s := range []string{"name=^da", "name=(", "dangling=true", "dangling=maybe", "label=a=b", "label=a", "driver=local", "colour=red", "name=a{99999}"} {
		f.Add(s)
	}
	v := &Volume{Name: "data", Driver: DriverLocal, Labels: map[string]string{"a": "b"}}
	f.Fuzz(func(t *testing.T, kv string) {
		key, val, _ := strings.Cut(kv, "=")
		match, err := filterFor(key, []string{val})
		if err != nil {
			fuzzcheck.Check(t, err, kv)
			return
		}
		if match != nil {
			match(v)
		}
	})
}
