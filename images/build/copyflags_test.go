package build

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPivotAndGlob checks --parents' pivot and the wildcard matcher against
// BuildKit's documented cases.
func TestPivotAndGlob(t *testing.T) {
	for _, tc := range []struct {
		src, rel, keep string
	}{
		{"foo1/foo2/bar", "foo1/foo2/bar", "foo1/foo2/bar"},
		{"./x/./y/a.txt", "x/y/a.txt", "y/a.txt"},
		{"/test/a/b/./c/d", "test/a/b/c/d", "c/d"},
		{"/test/a/b/c/d/.", "test/a/b/c/d", "test/a/b/c/d"},
		{"/test/a/./b/./c", "test/a/b/c", "b/c"},
		{"/test/a/b*/./c/**/e", "test/a/b2/c/d/e", "c/d/e"},
		{"./.", ".", "."},
	} {
		if got := keptPath(tc.rel, pivotDepth(tc.src)); got != tc.keep {
			t.Errorf("%s matching %s keeps %q, want %q", tc.src, tc.rel, got, tc.keep)
		}
	}
	root := t.TempDir()
	for _, f := range []string{"src/a.txt", "src/x/b.txt", "src/x/y/c.txt", "src/x/y/d.md", "dir1/f", "dir2/f", "other/f"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/", filepath.Join(root, "src/x/up")); err != nil {
		t.Fatal(err)
	}
	for pattern, want := range map[string][]string{
		"src/**/*.txt": {"src/a.txt", "src/x/b.txt", "src/x/y/c.txt"},
		"dir*/f":       {"dir1/f", "dir2/f"},
		"*/x/*/d.md":   {"src/x/y/d.md"},
		"nosuch/*":     {},
	} {
		got, err := globPath(root, pattern)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %q %v, want %q", pattern, got, err, want)
		}
	}
	if _, err := globPath(root, "src/[/x"); err == nil {
		t.Error("a bad pattern was accepted")
	}
}

// FuzzCopySourcePaths feeds any source to the --parents pivot, the git
// source parser and the glob matcher: no panic, a kept path never leaves
// the destination, a git source's subdirectory stays in its repository.
func FuzzCopySourcePaths(f *testing.F) {
	for _, s := range []string{"./x/./y/*.txt", "/a/./b/./c", "a/../../b", "../x", "/./", "**/..", "[", "https://h/r.git#main:sub",
		"git://h/r#v1:../../etc", "https://h/r.git#-u:x", "http://h/x", "git@h:r.git", "a/**/b/**"} {
		f.Add(s)
	}
	root := f.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "a", "b"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		rel := strings.TrimPrefix(filepath.Clean("/"+src), "/")
		if rel == "" {
			rel = "."
		}
		if keep := keptPath(rel, pivotDepth(src)); keep == ".." || strings.HasPrefix(keep, "../") || strings.HasPrefix(keep, "/") {
			t.Errorf("%q keeps %q", src, keep)
		}
		if isGitURL(src) {
			if g, err := parseGitRef(src); err == nil && slices.Contains(strings.Split(g.SubDir, "/"), "..") {
				t.Errorf("%q: subdir %q", src, g.SubDir)
			}
		}
		if len(src) < 40 {
			matches, _ := globPath(root, rel)
			for _, m := range matches {
				if strings.HasPrefix(m, "..") {
					t.Errorf("%q matched %q outside the root", src, m)
				}
			}
		}
	})
}
