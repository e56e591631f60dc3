package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// smallFS mounts a tmpfs of size bytes for the test (root only).
func smallFS(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	return dir
}

// fillFS writes a file into dir until its filesystem is full; the returned
// func removes the file.
func fillFS(t *testing.T, dir string) func() {
	t.Helper()
	p := filepath.Join(dir, "fill")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for err == nil {
		_, err = f.Write(buf)
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("fill: %v", err)
	}
	return func() { os.Remove(p) }
}

func testRow(i int) Row {
	return Row{ID: fmt.Sprintf("%064x", i+1), Name: fmt.Sprintf("c%d", i), ImageID: "sha256:i", Created: time.Now(), Data: []byte(`{"x":1}`)}
}

func openWithRows(t *testing.T, path string, n int) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := s.Insert(context.Background(), testRow(i)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestFullDiskOpenReadRemove: a database on a full filesystem opens, reads,
// updates and deletes (with the reserve's space), refuses to add, and adds
// again once there is room.
func TestFullDiskOpenReadRemove(t *testing.T) {
	ctx := context.Background()
	dir := smallFS(t, 16<<20)
	path := filepath.Join(dir, "berth.db")
	s := openWithRows(t, path, 3)
	s.Close()
	if st, err := os.Stat(path + "-reserve"); err != nil || st.Size() != ReserveSize {
		t.Fatalf("reserve after open: %v %v", st, err)
	}
	unfill := fillFS(t, dir)
	s, err := Open(path)
	if err != nil {
		t.Fatalf("open on a full disk: %v", err)
	}
	if rows, err := s.List(ctx); err != nil || len(rows) != 3 {
		t.Fatalf("list on a full disk: %d rows, %v", len(rows), err)
	}
	if err := s.Update(ctx, testRow(0).ID, []byte(`{"removing":true}`)); err != nil {
		t.Errorf("update on a full disk: %v", err)
	}
	if err := s.Delete(ctx, testRow(1).ID); err != nil {
		t.Errorf("delete on a full disk: %v", err)
	}
	if err := s.CheckSpace(); !IsNoSpace(err) || !errdefs.IsResourceExhausted(err) || err.Error() != "no space left on device" {
		t.Errorf("CheckSpace on a full disk = %v", err)
	}
	s.Close()
	unfill()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckSpace(); err != nil {
		t.Errorf("CheckSpace with room: %v", err)
	}
	if err := s.Insert(ctx, testRow(5)); err != nil {
		t.Errorf("insert with room: %v", err)
	}
	if st, err := os.Stat(path + "-reserve"); err != nil || st.Size() != ReserveSize {
		t.Errorf("reserve not refilled: %v %v", st, err)
	}
}

// TestFullDiskWhileOpen: a process that had the database open before the
// disk filled (the TUI) can still remove: the commit gives the reserve back.
func TestFullDiskWhileOpen(t *testing.T) {
	ctx := context.Background()
	dir := smallFS(t, 16<<20)
	s := openWithRows(t, filepath.Join(dir, "berth.db"), 3)
	defer s.Close()
	defer fillFS(t, dir)()
	if err := s.Delete(ctx, testRow(0).ID); err != nil {
		t.Errorf("delete on a disk that filled while open: %v", err)
	}
	if rows, err := s.List(ctx); err != nil || len(rows) != 2 {
		t.Errorf("list: %d rows, %v", len(rows), err)
	}
	if err := s.Insert(ctx, testRow(7)); err != nil && (!IsNoSpace(err) || err.Error() != "no space left on device") {
		t.Errorf("insert on a full disk: %v, want success or the plain no-space error", err)
	}
}

// TestFullDiskNoReserve: without a reserve a full disk is the plain error.
func TestFullDiskNoReserve(t *testing.T) {
	dir := smallFS(t, 8<<20)
	path := filepath.Join(dir, "berth.db")
	openWithRows(t, path, 1).Close()
	if err := os.Remove(path + "-reserve"); err != nil {
		t.Fatal(err)
	}
	defer fillFS(t, dir)()
	s, err := Open(path)
	if err == nil {
		s.Close()
		t.Fatal("open on a full disk without a reserve worked; want no space")
	}
	if !errdefs.IsResourceExhausted(err) || err.Error() != "no space left on device" {
		t.Errorf("open = %v, want the plain no-space error", err)
	}
}

// TestOpenCurrentWritesNothing: opening and reading a current database
// leaves its file and WAL untouched.
func TestOpenCurrentWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.db")
	openWithRows(t, path, 2).Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() != 0 {
		t.Errorf("WAL after open and list: %v %v, want empty", st, err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("open and list changed the database file")
	}
}

// TestMigrateOlderDatabase: a database made before the schema had a version
// keeps its rows and gets the version.
func TestMigrateOlderDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	r := testRow(0)
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO containers VALUES(?,?,?,?,?)`, r.ID, r.Name, r.ImageID, r.Created.UnixNano(), r.Data); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	if err := s.DB().QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != schemaVersion {
		t.Errorf("user_version = %d, %v", v, err)
	}
	if got, err := s.Get(context.Background(), r.Name); err != nil || got.ID != r.ID {
		t.Errorf("row after migration: %v %v", got, err)
	}
}

type codedError int

func (e codedError) Error() string { return fmt.Sprintf("sqlite error %d", int(e)) }
func (e codedError) Code() int     { return int(e) }

func TestIsNoSpace(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{syscall.ENOSPC, true},
		{&os.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, true},
		{fmt.Errorf("pull x: copy layer: %w", &os.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}), true},
		{NoSpace(), true},
		{fmt.Errorf("create volume: %w", NoSpace()), true},
		{fmt.Errorf("commit: %w", codedError(13)), true}, // SQLITE_FULL
		{codedError(sqliteIOErrShmSz), false},            // only Open weighs it
		{codedError(5), false},                           // SQLITE_BUSY
		{errdefs.ErrResourceExhausted.WithMessage("too many"), false},
		{syscall.EDQUOT, false},
		{io.ErrShortWrite, false},
		{errors.New("no space left on device"), false}, // text alone says nothing
	}
	for _, tt := range tests {
		if got := IsNoSpace(tt.err); got != tt.want {
			t.Errorf("IsNoSpace(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	if s := NoSpace().Error(); s != "no space left on device" || strings.Contains(s, "exhausted") {
		t.Errorf("NoSpace() says %q", s)
	}
}

// TestReserveLeavesRoomToOthers: making a reserve leaves lowSpace free to
// the rest of the filesystem; giving one back and closing takes it again.
func TestReserveLeavesRoomToOthers(t *testing.T) {
	dir := smallFS(t, 16<<20)
	path := filepath.Join(dir, "berth.db")
	openWithRows(t, path, 1).Close()
	if err := os.Remove(path + "-reserve"); err != nil {
		t.Fatal(err)
	}
	unfill := fillFS(t, dir)
	if err := os.Truncate(filepath.Join(dir, "fill"), fileSize(t, filepath.Join(dir, "fill"))-2<<20); err != nil {
		t.Fatal(err) // 2 MiB free
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if free := freeBytes(dir); free < lowSpace {
		t.Errorf("open took the filesystem down to %d bytes free", free)
	}
	if err := s.CheckSpace(); !IsNoSpace(err) {
		t.Errorf("CheckSpace with a short reserve = %v", err)
	}
	s.Close()
	if free := freeBytes(dir); free < lowSpace {
		t.Errorf("close took the filesystem down to %d bytes free", free)
	}
	unfill()
	fillFS(t, dir) // full, with a short reserve
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(context.Background(), testRow(0).ID); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "fill"))
	s.Close()
	if got := fileSize(t, path+"-reserve"); got != ReserveSize {
		t.Errorf("reserve after a process that used it closed: %d bytes, want %d", got, ReserveSize)
	}
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
