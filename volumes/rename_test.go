package volumes

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"
)

// renamedNames renames the top of an archive of entries and lists the result.
func renamedNames(t *testing.T, entries []string, to string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range entries {
		typ := byte(tar.TypeReg)
		if strings.HasSuffix(n, "/") || n == "." {
			typ = tar.TypeDir
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: typ, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	tr := tar.NewReader(RenameTop(&buf, to))
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h.Name)
	}
	return strings.Join(got, " ")
}

func TestRenameTop(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []string
		want    string
	}{
		{"a file", []string{"hostname"}, "new"},
		{"a directory", []string{"x/", "x/a", "x/sub/", "x/sub/b"}, "new new/a new/sub/ new/sub/b"},
		{"a directory's contents (path/.)", []string{"./", "./a", "./sub/", "./sub/b"}, "new new/a new/sub new/sub/b"},
		{"the root", []string{"/", "/bin/", "/bin/sh"}, "new new/bin/ new/bin/sh"},
	} {
		if got := renamedNames(t, tc.entries, "new"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func FuzzTopOf(f *testing.F) {
	for _, s := range []string{".", "./", "./a", "./sub/b", "x", "x/", "x/a/b", "/", "/bin/sh", "", "..", "../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		first, rest := topOf(name)
		if first == "." {
			if name != "." && !strings.HasPrefix(name, "./") {
				t.Fatalf("topOf(%q) = %q, %q: a dot top for a name not under ./", name, first, rest)
			}
			return
		}
		if want := strings.TrimSuffix(first+"/"+rest, "/"); rest != "" && want != strings.TrimSuffix(name, "/") {
			t.Fatalf("topOf(%q) = %q, %q: does not rejoin", name, first, rest)
		}
	})
}
