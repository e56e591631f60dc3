package build

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCopyChownOwnsCreatedParents checks that COPY --chown gives the parent
// directories it creates to the --chown owner, for file and directory
// sources, and leaves existing parents alone, as BuildKit does.
func TestCopyChownOwnsCreatedParents(t *testing.T) {
	ctxDir, root := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(ctxDir, "dir/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"app.txt", "dir/sub/two.txt"} {
		if err := os.WriteFile(filepath.Join(ctxDir, f), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "existing"), 0o755); err != nil {
		t.Fatal(err)
	}
	bd := &build{Builder: &Builder{}, opts: Options{ContextDir: ctxDir}}
	for _, cs := range []copySpec{
		{name: "COPY", srcs: []string{"app.txt"}, dest: "/deep/parent/file", chown: "2:2"},
		{name: "COPY", srcs: []string{"dir/"}, dest: "/deeper/tree/", chown: "3:3"},
		{name: "COPY", srcs: []string{"app.txt"}, dest: "/existing/new/file", chown: "4:5"},
		{name: "COPY", srcs: []string{"app.txt"}, dest: "/plain/file"},
	} {
		if err := bd.copyFiles(ctxDir, root, cs, true); err != nil {
			t.Fatalf("%v: %v", cs, err)
		}
	}
	for p, want := range map[string][2]uint32{
		"deep": {2, 2}, "deep/parent": {2, 2}, "deep/parent/file": {2, 2},
		"deeper": {3, 3}, "deeper/tree": {3, 3}, "deeper/tree/sub": {3, 3},
		"existing": {0, 0}, "existing/new": {4, 5}, "plain": {0, 0},
	} {
		fi, err := os.Lstat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if got := [2]uint32{st.Uid, st.Gid}; got != want || (fi.IsDir() && fi.Mode().Perm() != 0o755) {
			t.Errorf("%s: owner %v mode %v, want %v and 0755 for directories", p, got, fi.Mode(), want)
		}
	}
}
