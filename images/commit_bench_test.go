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
// COPY of bench/build.sh 5 200 104858) and commits it as a layer, one file
// changed each time: the COPY step's work after the copy.
func BenchmarkCommitUpper21MB(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
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
	b.SetBytes(200 * 104858)
	i := 0
	for b.Loop() {
		i++
		if err := os.WriteFile(filepath.Join(dir, "app", "data", "d1", "f1"), []byte(fmt.Sprint(i)), 0o644); err != nil {
			b.Fatal(err)
		}
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
