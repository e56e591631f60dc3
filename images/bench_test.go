package images

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSaveLoadBusybox measures `save` then `load` of the bootstrapped
// busybox image into an empty store (MB/s of the saved tarball).
func BenchmarkSaveLoadBusybox(b *testing.B) {
	requireRoot(b)
	ctx := context.Background()
	src := newStore(b)
	if _, err := src.Bootstrap(ctx, "busybox", nil); err != nil {
		b.Fatal(err)
	}
	benchSaveLoad(b, src, "busybox:latest")
}

func benchSaveLoad(b *testing.B, src *Store, ref string) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "save.tar")
	for b.Loop() {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := src.Save(ctx, f, []string{ref}); err != nil {
			b.Fatal(err)
		}
		size, _ := f.Seek(0, 1)
		b.SetBytes(size)
		f.Seek(0, 0)
		b.StopTimer()
		dst := newStore(b)
		b.StartTimer()
		if _, err := dst.Load(ctx, f, nil); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkUnpack100MB measures unpacking one uncompressed 100 MB layer (ten
// 10 MB files) into a fresh snapshot.
func BenchmarkUnpack100MB(b *testing.B) {
	requireRoot(b)
	ctx := context.Background()
	s := newStore(b)
	rnd := rand.New(rand.NewPCG(3, 4))
	body := make([]byte, 10<<20)
	for i := range body {
		body[i] = byte(rnd.Uint32())
	}
	var entries []tarEntry
	for i := range 10 {
		entries = append(entries, tarEntry{name: fmt.Sprintf("big/%d", i), body: string(body)})
	}
	img, err := s.Import(ctx, bytes.NewReader(makeTar(b, entries...)), "big:1")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(100 << 20)
	for b.Loop() {
		if _, err := s.Prepare(ctx, img); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(filepath.Join(s.Root(), "snapshots", hexOf(img.Layers[0].ChainID)))
		b.StartTimer()
	}
}

// BenchmarkSaveLoadDebian is BenchmarkSaveLoadBusybox for debian:bookworm; the
// debootstrap takes minutes, so it runs only with BERTH_SLOW=1.
func BenchmarkSaveLoadDebian(b *testing.B) {
	requireRoot(b)
	if os.Getenv("BERTH_SLOW") == "" {
		b.Skip("slow: set BERTH_SLOW=1")
	}
	src := newStore(b)
	if _, err := src.Bootstrap(context.Background(), "debian", nil); err != nil {
		b.Fatal(err)
	}
	benchSaveLoad(b, src, "debian:bookworm")
}
