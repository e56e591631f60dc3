package images

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCommitUpper21MB tars an upper dir of 200 files of 100 KiB (the
// COPY of bench/build.sh 5 200 104858) and commits it as a layer with its
// blob written at once, one file changed each time: a COPY step's work after
// the copy before build layers were kept as snapshots alone.
func BenchmarkCommitUpper21MB(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	dir := benchUpper(b)
	b.SetBytes(200 * 104858)
	i := 0
	for b.Loop() {
		i++
		changeOne(b, dir, i)
		layer, err := DiffTar(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Commit(ctx, CommitOptions{Layer: layer, CreatedBy: fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
		layer.Close()
	}
}

// BenchmarkCommitUpperLazy21MB is BenchmarkCommitUpper21MB as a build step
// commits now: the upper dir hashed and linked as the layer's snapshot, the
// blob left unwritten (lazy.go).
func BenchmarkCommitUpperLazy21MB(b *testing.B) {
	requireRoot(b)
	ctx := context.Background()
	s := newStore(b)
	dir := benchUpper(b)
	b.SetBytes(200 * 104858)
	i := 0
	for b.Loop() {
		i++
		changeOne(b, dir, i)
		if _, err := s.Commit(ctx, CommitOptions{UpperDir: dir, CreatedBy: fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchUpper makes an upper dir of 200 files of 100 KiB of random data in
// 30 directories.
func benchUpper(b *testing.B) string {
	dir := b.TempDir()
	rnd := rand.New(rand.NewPCG(5, 6))
	body := make([]byte, 104858)
	for i := range 200 {
		d := filepath.Join(dir, "app", "data", fmt.Sprint("d", i%30))
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		for j := range body {
			body[j] = byte(rnd.Uint32())
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprint("f", i)), body, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// changeOne replaces one file of the upper dir by a new one (a new inode:
// a snapshot made from the dir by hard links keeps the old).
func changeOne(b *testing.B, dir string, i int) {
	p := filepath.Join(dir, "app", "data", "d1", "f1")
	if err := os.WriteFile(p+".new", []byte(fmt.Sprint(i)), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(p+".new", p); err != nil {
		b.Fatal(err)
	}
}
