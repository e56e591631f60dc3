package volumes

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a volume needs root")
	}
}

// isMounted reports whether p is a mount point, failing the test on error.
func isMounted(t *testing.T, p string) bool {
	t.Helper()
	on, err := mountinfo.Mounted(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return on
}

func TestValidateOptions(t *testing.T) {
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{}, ""},
		{map[string]string{"type": "tmpfs", "device": "tmpfs"}, ""},
		{map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}, ""},
		{map[string]string{"size": "1m"}, `invalid option: "size"`},
		{map[string]string{"type": "tmpfs", "device": "tmpfs", "foo": "1"}, `invalid option: "foo"`},
		{map[string]string{"type": "tmpfs"}, `missing required option: "device"`},
		{map[string]string{"device": "tmpfs"}, `missing required option: "type"`},
		{map[string]string{"o": "size=1m"}, `missing required option: "device"`},
	} {
		err := ValidateOptions(tc.opts)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.opts, err)
			}
			continue
		}
		if err == nil || err.Error() != tc.want || !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%v: got %v, want %q (invalid argument)", tc.opts, err, tc.want)
		}
	}
}

// TestCreateBadOptionsMakesNothing: a refused create leaves no directory
// and no record.
func TestCreateBadOptionsMakesNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Create(ctx, "bad", nil, map[string]string{"type": "tmpfs"}); err == nil {
		t.Fatal("a volume without its device was made")
	}
	if _, err := os.Stat(s.dir("bad")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory of a refused volume: %v", err)
	}
	if _, err := s.Get(ctx, "bad"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("record of a refused volume: %v", err)
	}
}

// TestTmpfsVolumeMountedWhileReferenced: a tmpfs volume is mounted with
// its options at Mount, stays mounted while a container references it, and
// is unmounted when the last reference goes; Remove leaves no mount.
func TestTmpfsVolumeMountedWhileReferenced(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	s := newStore(t)
	opts := map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=4m,mode=0750"}
	v, err := s.Create(ctx, "fast", map[string]string{"a": "b"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmountUnder(s.dir("fast")) })
	got, err := s.Get(ctx, "fast")
	if err != nil || got.Options["o"] != "size=4m,mode=0750" || len(got.Options) != 3 {
		t.Fatalf("options as read back: %v %v", got, err)
	}
	for _, id := range []string{"c1", "c2"} {
		if err := s.Use(ctx, "fast", id); err != nil {
			t.Fatal(err)
		}
	}
	if isMounted(t, v.Mountpoint) {
		t.Fatal("mounted before any start")
	}
	for range 2 { // a second start finds it mounted
		if err := s.Mount(ctx, "fast"); err != nil {
			t.Fatal(err)
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(v.Mountpoint, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != unix.TMPFS_MAGIC || uint64(st.Blocks)*uint64(st.Bsize) != 4<<20 {
		t.Fatalf("mounted fs: type %#x, %d bytes; want tmpfs of 4 MiB", st.Type, uint64(st.Blocks)*uint64(st.Bsize))
	}
	if fi, err := os.Stat(v.Mountpoint); err != nil || fi.Mode().Perm() != 0o750 {
		t.Fatalf("mode of the mounted volume: %v %v", fi, err)
	}
	if _, err := s.Release(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if !isMounted(t, v.Mountpoint) {
		t.Fatal("unmounted while c2 still references it")
	}
	if _, err := s.Release(ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	if isMounted(t, v.Mountpoint) {
		t.Fatal("still mounted with no container referencing it")
	}
	if err := s.Mount(ctx, "fast"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "fast", false); err != nil {
		t.Fatal(err)
	}
	if m, _ := mountinfo.GetMounts(mountinfo.PrefixFilter(s.root)); len(m) != 0 {
		t.Fatalf("mounts left under the volumes root: %v", m[0].Mountpoint)
	}
	if _, err := os.Stat(s.dir("fast")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("volume directory after rm: %v", err)
	}
}

// TestBindVolumeRemoveKeepsSource: removing a volume that bind-mounts a
// host directory (type=none, o=bind), or recovering one whose removal was
// killed, unmounts it and never deletes the host directory's files.
func TestBindVolumeRemoveKeepsSource(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	s := newStore(t)
	src := t.TempDir()
	keep := filepath.Join(src, "keep")
	if err := os.WriteFile(keep, []byte("host data"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{"type": "none", "device": src, "o": "bind"}
	for _, n := range []string{"b1", "b2"} {
		if _, err := s.Create(ctx, n, nil, opts); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unmountUnder(s.dir(n)); unmountUnder(filepath.Join(s.root, "_removing-"+n)) })
		if err := s.Mount(ctx, n); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(s.mountpoint(n), "keep")); err != nil || string(b) != "host data" {
			t.Fatalf("%s: host file through the volume: %q %v", n, b, err)
		}
	}
	if err := s.Remove(ctx, "b1", false); err != nil {
		t.Fatal(err)
	}
	// b2's removal killed after its commit: the record is gone, the
	// directory (still mounted) moved aside.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM vol_volumes WHERE name='b2'`); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(s.dir("b2"), filepath.Join(s.root, "_removing-b2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "host data" {
		t.Fatalf("the host directory's file after rm and recovery: %q %v", b, err)
	}
	if m, _ := mountinfo.GetMounts(mountinfo.PrefixFilter(s.root)); len(m) != 0 {
		t.Fatalf("mounts left under the volumes root: %v", m[0].Mountpoint)
	}
	if ents, _ := os.ReadDir(s.root); len(ents) != 0 {
		t.Fatalf("volumes root after rm and recovery: %v", ents)
	}
}

// TestMountFailureNamesVolume: a mount the kernel refuses is an error
// naming the volume, and leaves nothing mounted.
func TestMountFailureNamesVolume(t *testing.T) {
	needRoot(t)
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Create(ctx, "nodev", nil, map[string]string{"type": "none", "device": "/nonexistent-berth-src", "o": "bind"}); err != nil {
		t.Fatal(err)
	}
	err := s.Mount(ctx, "nodev")
	if err == nil || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("mount of a missing source: %v", err)
	}
	if isMounted(t, s.mountpoint("nodev")) {
		t.Fatal("mounted after a failed mount")
	}
}

// TestOptionsColumnAdded: a volume table from before options gains the
// column at Open, keeping its volumes.
func TestOptionsColumnAdded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "berth.db")+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE vol_volumes (name TEXT PRIMARY KEY, labels TEXT NOT NULL,
		created INTEGER NOT NULL, anonymous INTEGER NOT NULL);
		INSERT INTO vol_volumes VALUES('old', '{}', 1, 0)`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "volumes"), db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(dir, "volumes"), db); err != nil { // a second process
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "old"); err != nil || v.Options != nil {
		t.Fatalf("old volume: %+v %v", v, err)
	}
	if v, err := s.Create(ctx, "new", nil, map[string]string{"type": "tmpfs", "device": "tmpfs"}); err != nil || v.Options["type"] != "tmpfs" {
		t.Fatalf("new volume: %+v %v", v, err)
	}
}
