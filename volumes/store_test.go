package volumes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	_ "modernc.org/sqlite"
)

// newStore opens a Store on a fresh root and database, as the engine does.
func newStore(t testing.TB) *Store {
	t.Helper()
	dir := t.TempDir()
	dsn := "file:" + filepath.Join(dir, "berth.db") +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(filepath.Join(dir, "volumes"), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func names(vs []Volume) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

func TestCreateGetIdempotent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v, err := s.Create(ctx, "data", map[string]string{"app": "web"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Driver != "local" || v.Mountpoint != filepath.Join(s.Root(), "data", "_data") || v.Anonymous {
		t.Fatalf("volume = %+v", v)
	}
	if st, err := os.Stat(v.Mountpoint); err != nil || !st.IsDir() {
		t.Fatalf("mountpoint: %v", err)
	}
	again, err := s.Create(ctx, "data", map[string]string{"other": "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Labels["app"] != "web" || !again.CreatedAt.Equal(v.CreatedAt) {
		t.Fatalf("second create = %+v, want the first", again)
	}
	got, err := s.Get(ctx, "data")
	if err != nil || got.Labels["app"] != "web" || len(got.UsedBy) != 0 {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
}

func TestCreateBadNames(t *testing.T) {
	s := newStore(t)
	for _, n := range []string{"a/b", "..", "../x", "a/../b", "/abs", "x", "-x", "a b", "a..b", "é"} {
		_, err := s.Create(context.Background(), n, nil, nil)
		if !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("create %q: %v, want invalid argument", n, err)
		}
	}
	entries, _ := os.ReadDir(s.Root())
	if len(entries) != 0 {
		t.Fatalf("bad names created %v", entries)
	}
}

// TestCreateLongName: a name longer than a directory entry (up to 1 MiB) is
// refused with a plain error that does not echo it, where mkdir failed with
// "file name too long" after the record was written; 255 bytes work.
func TestCreateLongName(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for _, n := range []int{256, 1 << 20} {
		_, err := s.Create(ctx, strings.Repeat("a", n), nil, nil)
		want := fmt.Sprintf("volume name is %d bytes long; at most 255 are allowed", n)
		if !errors.Is(err, errdefs.ErrInvalidArgument) || err.Error() != want {
			t.Errorf("create a %d-byte name: %v, want %q", n, err, want)
		}
	}
	if vs, err := s.List(ctx, nil); err != nil || len(vs) != 0 {
		t.Fatalf("long names left %d volumes, %v", len(vs), err)
	}
	if entries, _ := os.ReadDir(s.Root()); len(entries) != 0 {
		t.Fatalf("long names created %v", entries)
	}
	long := strings.Repeat("b", 255)
	if v, err := s.Create(ctx, long, nil, nil); err != nil || v.Name != long {
		t.Fatalf("create a 255-byte name: %v", err)
	}
}

func TestAnonymousAndRelease(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	anon, err := s.Create(ctx, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(anon.Name) != 64 || !anon.Anonymous || strings.Trim(anon.Name, "0123456789abcdef") != "" {
		t.Fatalf("anonymous volume %+v", anon)
	}
	if _, err := s.Create(ctx, "named", nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{anon.Name, "named"} {
		if err := s.Use(ctx, n, "c1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Use(ctx, "named", "c1"); err != nil {
		t.Fatalf("second use: %v", err)
	}
	if err := s.Use(ctx, "named", "c2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Use(ctx, "ghost", "c1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("use unknown: %v", err)
	}
	v, _ := s.Get(ctx, "named")
	if !slices.Equal(v.UsedBy, []string{"c1", "c2"}) {
		t.Fatalf("used by %v", v.UsedBy)
	}
	got, err := s.Release(ctx, "c1")
	if err != nil || !slices.Equal(got, []string{anon.Name}) {
		t.Fatalf("release = %v, %v", got, err)
	}
	v, _ = s.Get(ctx, "named")
	if !slices.Equal(v.UsedBy, []string{"c2"}) {
		t.Fatalf("after release used by %v", v.UsedBy)
	}
	if got, err := s.Release(ctx, "c1"); err != nil || len(got) != 0 {
		t.Fatalf("second release = %v, %v", got, err)
	}
}

func TestRemove(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v, _ := s.Create(ctx, "data", nil, nil)
	if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Use(ctx, "data", "c1")
	for _, force := range []bool{false, true} {
		err := s.Remove(ctx, "data", force)
		if !errors.Is(err, errdefs.ErrConflict) || !strings.Contains(err.Error(), "c1") {
			t.Fatalf("remove in use (force=%v): %v", force, err)
		}
	}
	if _, err := os.Stat(filepath.Join(v.Mountpoint, "f")); err != nil {
		t.Fatalf("data gone after refused remove: %v", err)
	}
	s.Release(ctx, "c1")
	if err := s.Remove(ctx, "data", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "data")); !os.IsNotExist(err) {
		t.Fatalf("volume dir left: %v", err)
	}
	if entries, _ := os.ReadDir(s.Root()); len(entries) != 0 {
		t.Fatalf("left in root: %v", entries)
	}
	if err := s.Remove(ctx, "data", false); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("remove unknown: %v", err)
	}
	if err := s.Remove(ctx, "data", true); err != nil {
		t.Fatalf("remove -f unknown: %v", err)
	}
}

func TestListFilters(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	s.Create(ctx, "web-data", map[string]string{"app": "web", "tier": "front"}, nil)
	s.Create(ctx, "db-data", map[string]string{"app": "db"}, nil)
	s.Create(ctx, "cache", nil, nil)
	s.Use(ctx, "db-data", "c1")
	tests := []struct {
		filters map[string][]string
		want    []string
	}{
		{nil, []string{"cache", "db-data", "web-data"}},
		{map[string][]string{"dangling": {"true"}}, []string{"cache", "web-data"}},
		{map[string][]string{"dangling": {"false"}}, []string{"db-data"}},
		{map[string][]string{"name": {"data"}}, []string{"db-data", "web-data"}},
		{map[string][]string{"name": {"^web"}}, []string{"web-data"}},
		{map[string][]string{"label": {"app"}}, []string{"db-data", "web-data"}},
		{map[string][]string{"label": {"app=db"}}, []string{"db-data"}},
		{map[string][]string{"label": {"app=db", "tier"}}, []string{"db-data", "web-data"}},
		{map[string][]string{"label": {"app"}, "dangling": {"true"}}, []string{"web-data"}},
		{map[string][]string{"driver": {"local"}}, []string{"cache", "db-data", "web-data"}},
	}
	for _, tt := range tests {
		got, err := s.List(ctx, tt.filters)
		if err != nil || !slices.Equal(names(got), tt.want) {
			t.Errorf("list %v = %v, %v; want %v", tt.filters, names(got), err, tt.want)
		}
	}
	for _, bad := range []map[string][]string{{"dangling": {"maybe"}}, {"color": {"red"}}, {"name": {"("}}} {
		if _, err := s.List(ctx, bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("list %v: %v, want invalid argument", bad, err)
		}
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	anon, _ := s.Create(ctx, "", nil, nil)
	used, _ := s.Create(ctx, "", nil, nil)
	s.Create(ctx, "named", nil, nil)
	s.Use(ctx, used.Name, "c1")
	os.WriteFile(filepath.Join(anon.Mountpoint, "f"), make([]byte, 1000), 0o644)
	got, bytes, err := s.Prune(ctx, false)
	if err != nil || !slices.Equal(got, []string{anon.Name}) || bytes != 1000 {
		t.Fatalf("prune = %v %d %v", got, bytes, err)
	}
	got, _, err = s.Prune(ctx, true)
	if err != nil || !slices.Equal(got, []string{"named"}) {
		t.Fatalf("prune all = %v %v", got, err)
	}
	left, _ := s.List(ctx, nil)
	if !slices.Equal(names(left), []string{used.Name}) {
		t.Fatalf("left %v", names(left))
	}
}

func TestSize(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v, _ := s.Create(ctx, "data", nil, nil)
	os.WriteFile(filepath.Join(v.Mountpoint, "a"), make([]byte, 300), 0o644)
	os.Mkdir(filepath.Join(v.Mountpoint, "d"), 0o755)
	os.WriteFile(filepath.Join(v.Mountpoint, "d", "b"), make([]byte, 200), 0o644)
	os.Link(filepath.Join(v.Mountpoint, "a"), filepath.Join(v.Mountpoint, "d", "hard"))
	n, err := s.Size(ctx, "data")
	if err != nil || n != 500 {
		t.Fatalf("size = %d, %v; want 500", n, err)
	}
	os.WriteFile(filepath.Join(v.Mountpoint, "c"), make([]byte, 100), 0o644)
	if n, _ := s.Size(ctx, "data"); n != 500 {
		t.Fatalf("size within the TTL = %d, want the cached 500", n)
	}
	if _, err := s.Size(ctx, "ghost"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("size unknown: %v", err)
	}
}

func TestSizeAsync(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v, _ := s.Create(ctx, "data", nil, nil)
	os.WriteFile(filepath.Join(v.Mountpoint, "a"), make([]byte, 4096), 0o644)
	if _, known := s.SizeAsync(ctx, "data"); known {
		t.Fatal("size known before any walk")
	}
	for i := 0; ; i++ {
		n, known := s.SizeAsync(ctx, "data")
		if known {
			if n != 4096 {
				t.Fatalf("async size = %d", n)
			}
			break
		}
		if i > 500 {
			t.Fatal("background size never arrived")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTwoProcessesShareTheDatabase runs two stores on one database file, as two
// berth processes do, creating and using the same volume concurrently.
func TestTwoProcessesShareTheDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *Store {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "db")+
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := Open(filepath.Join(dir, "volumes"), db)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open(), open()
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		for j, s := range []*Store{a, b} {
			go func() {
				_, err := s.Create(ctx, "shared", nil, nil)
				if err == nil {
					err = s.Use(ctx, "shared", fmt.Sprintf("c%d-%d", j, i))
				}
				errs <- err
			}()
		}
	}
	for i := 0; i < 40; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	v, err := b.Get(ctx, "shared")
	if err != nil || len(v.UsedBy) != 40 {
		t.Fatalf("shared volume: %d users, %v", len(v.UsedBy), err)
	}
}
