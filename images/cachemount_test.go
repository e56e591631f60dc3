package images

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestCacheMountMadeAtOnce: steps of parallel stages that make the same
// cache mount at the same moment all get it (one places it, the others find
// it), with its mode, and no half-made directory is left.
func TestCacheMountMadeAtOnce(t *testing.T) {
	for round := 0; round < 20; round++ {
		s := newStore(t)
		var wg sync.WaitGroup
		dirs, errs := make([]string, 8), make([]error, 8)
		for i := range dirs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var release func()
				dirs[i], release, errs[i] = s.CacheMount(context.Background(), "meet", CacheMountOptions{Mode: 0o750})
				if release != nil {
					release()
				}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, step %d: %v", round, i, err)
			}
			if dirs[i] != dirs[0] {
				t.Fatalf("round %d: steps got %s and %s", round, dirs[0], dirs[i])
			}
		}
		fi, err := os.Stat(dirs[0])
		if err != nil || fi.Mode().Perm() != 0o750 {
			t.Fatalf("round %d: the cache dir %v %v", round, fi, err)
		}
		entries, _ := os.ReadDir(filepath.Dir(dirs[0]))
		if len(entries) != 2 { // id and data
			t.Fatalf("round %d: left beside the cache: %v", round, entries)
		}
	}
}
