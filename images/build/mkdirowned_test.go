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

// userRoot is a filesystem with an /etc/passwd and /etc/group where users'
// IDs, their passwd groups and their namesake groups differ.
func userRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nsync:x:4:100:sync:/bin:/bin/sync\nmail:x:8:8:mail:/var/mail:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
		"etc/group":  "root:x:0:\nmail:x:12:\nusers:x:100:\nnogroup:x:65534:\n",
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestResolveChown checks --chown's user[:group] as BuildKit reads it: a
// name without group takes its passwd group, an ID the same number.
func TestResolveChown(t *testing.T) {
	root := userRoot(t)
	for spec, want := range map[string][2]int{
		"sync": {4, 100}, "mail": {8, 8}, "4": {4, 4}, "1234": {1234, 1234}, "mail:mail": {8, 12},
		"sync:7": {4, 7}, "nobody:nogroup": {65534, 65534}, "root": {0, 0},
	} {
		got, err := resolveChown(root, spec)
		if err != nil || got == nil || *got != want {
			t.Errorf("--chown=%s: %v %v, want %v", spec, got, err, want)
		}
	}
	for _, spec := range []string{"nosuch", "mail:nosuch"} {
		if _, err := resolveChown(root, spec); err == nil {
			t.Errorf("--chown=%s: no error", spec)
		}
	}
}

// TestWorkdirOwnedByUser checks WORKDIR makes missing directories owned by
// the USER (root's for a name passwd lacks), and leaves existing ones alone.
func TestWorkdirOwnedByUser(t *testing.T) {
	root := userRoot(t)
	for _, tc := range []struct {
		dir, user string
		made      bool
		want      map[string][2]uint32
	}{
		{"/a/b", "sync", true, map[string][2]uint32{"a": {4, 100}, "a/b": {4, 100}}},
		{"/a/b/c", "1234:5", true, map[string][2]uint32{"a/b": {4, 100}, "a/b/c": {1234, 5}}},
		{"/d", "", true, map[string][2]uint32{"d": {0, 0}}},
		{"/e", "nosuch", true, map[string][2]uint32{"e": {0, 0}}},
		{"/a", "mail", false, map[string][2]uint32{"a": {4, 100}}},
	} {
		made, err := makeWorkdir(root, tc.dir, tc.user)
		if err != nil || made != tc.made {
			t.Fatalf("WORKDIR %s as %q: made %v, %v", tc.dir, tc.user, made, err)
		}
		for p, want := range tc.want {
			fi, err := os.Stat(filepath.Join(root, p))
			if err != nil {
				t.Fatal(err)
			}
			st := fi.Sys().(*syscall.Stat_t)
			if got := [2]uint32{st.Uid, st.Gid}; got != want || fi.Mode().Perm() != 0o755 {
				t.Errorf("WORKDIR %s as %q: %s owner %v mode %v, want %v 0755", tc.dir, tc.user, p, got, fi.Mode(), want)
			}
		}
	}
	if _, err := makeWorkdir(root, "/etc/passwd", ""); err == nil || err.Error() != "/etc/passwd is not a directory" {
		t.Errorf("WORKDIR over a file: %v", err)
	}
}
