package client

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"berth/images/build"
)

// TestBuildContextIgnoreFiles checks the context sent to a server leaves out
// what .dockerignore excludes, or, when the Dockerfile has its own ignore
// file, what that one excludes and the context's .dockerignore itself (so
// the server does not apply it too).
func TestBuildContextIgnoreFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"a.txt": "a", "b.txt": "b", ".dockerignore": "a.txt\n", "x.dockerignore": "b.txt\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	names := func(o build.Options) []string {
		rc, err := buildContext(o)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		var out []string
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			out = append(out, h.Name)
		}
		slices.Sort(out)
		return out
	}
	if got := names(build.Options{ContextDir: dir}); !slices.Equal(got, []string{".dockerignore", "b.txt", "x.dockerignore"}) {
		t.Errorf(".dockerignore: sent %q", got)
	}
	got := names(build.Options{ContextDir: dir, IgnoreFile: filepath.Join(dir, "x.dockerignore")})
	if !slices.Equal(got, []string{"a.txt", "x.dockerignore"}) {
		t.Errorf("the Dockerfile's ignore file: sent %q", got)
	}
	if _, err := buildContext(build.Options{ContextDir: dir, IgnoreFile: filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing ignore file given was not an error")
	}
}
