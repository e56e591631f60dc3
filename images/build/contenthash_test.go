package build

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// countingOpen opens files and counts the bytes read from them.
type countingOpen struct{ n int64 }

func (c *countingOpen) open(p string) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	return &countedFile{f, c}, nil
}

// countedFile is a file that only reads (no WriteTo to bypass the count).
type countedFile struct {
	f *os.File
	c *countingOpen
}

func (f *countedFile) Read(b []byte) (int, error) {
	n, err := f.f.Read(b)
	f.c.n += int64(n)
	return n, err
}

func (f *countedFile) Close() error { return f.f.Close() }

// TestContextHashesKeptBetweenBuilds hashes a context as COPY does, then
// again as a new build would (the digests read back from the store): the
// second pass reads nothing; a file whose content changed but whose size,
// mtime and inode were put back is not read again (the stat decides, as in
// BuildKit); a file whose size changed is read again and its new digest
// changes the COPY's key; pruning removes the kept digests.
func TestContextHashesKeptBetweenBuilds(t *testing.T) {
	b := newBuilder(t)
	counter := &countingOpen{}
	b.open = counter.open
	dir := t.TempDir()
	for name, body := range map[string]string{"a.txt": "aaaa", "sub/b.txt": "bbbbbbbb", "sub/c.txt": "cc"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hash := func() string {
		t.Helper()
		bd := &build{Builder: b, opts: Options{ContextDir: dir}, usedArgs: map[string]bool{}}
		bd.hashes = loadHashes(b.store.Root(), dir, b.open)
		sum, err := bd.hashSources(dir, []srcMatch{{rel: "a.txt"}, {rel: "sub"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := bd.hashes.save(); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	first := hash()
	if counter.n != 14 {
		t.Fatalf("first build read %d bytes, want 14", counter.n)
	}
	counter.n = 0
	if again := hash(); again != first || counter.n != 0 {
		t.Errorf("rebuild: key changed %v, read %d bytes (want 0)", again != first, counter.n)
	}
	// Same size, content changed, mtime put back: the inode stays, so the stat matches.
	a := filepath.Join(dir, "a.txt")
	fi, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(a, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("zzzz"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(a, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if again := hash(); again != first || counter.n != 0 {
		t.Errorf("restored stat: file re-read (%d bytes) or key changed (%v)", counter.n, again != first)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub/c.txt"), []byte("ccc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed := hash(); changed == first || counter.n != 3 {
		t.Errorf("a changed file: key changed %v, read %d bytes (want 3)", changed != first, counter.n)
	}
	list := ContextHashes(b.store.Root())
	if len(list) != 1 || list[0].Type != "source.local" || !strings.HasSuffix(list[0].Description, dir) || list[0].Size == 0 {
		t.Errorf("listed: %+v", list)
	}
	removed, size, err := PruneContextHashes(b.store.Root())
	if err != nil || len(removed) != 1 || size != list[0].Size || len(ContextHashes(b.store.Root())) != 0 {
		t.Errorf("prune: %v %d %v", removed, size, err)
	}
	counter.n = 0
	if hash(); counter.n != 15 {
		t.Errorf("after prune read %d bytes, want every file (15)", counter.n)
	}
}

// TestContextHashesBounded keeps only the most recent contexts.
func TestContextHashesBounded(t *testing.T) {
	dir := t.TempDir()
	hd := hashDir(dir)
	if err := os.MkdirAll(hd, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		p := filepath.Join(hd, string(rune('a'+i))+".json")
		if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(time.Duration(i) * time.Hour)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	trimHashes(hd, 2)
	ents, _ := os.ReadDir(hd)
	if len(ents) != 2 || ents[0].Name() != "d.json" || ents[1].Name() != "e.json" {
		t.Errorf("kept %v, want the two newest", ents)
	}
}
