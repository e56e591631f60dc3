package images

import (
	"strings"
	"testing"

	"berth/testdata/fuzzcheck"
)

// FuzzListFilters: `images --filter` (dangling, reference patterns) matches
// or fails with a plain error.
func FuzzListFilters(f *testing.F) {
	for _, s := range []string{"dangling=true", "dangling=no", "reference=busy*", "reference=[", "reference=*:1.*", "reference=\\"} {
		f.Add(s)
	}
	img := &Image{ID: "sha256:ab", RepoTags: []string{"busybox:latest", "localhost:5000/a/b:1.0"}}
	f.Fuzz(func(t *testing.T, kv string) {
		key, val, _ := strings.Cut(kv, "=")
		if key != "dangling" && key != "reference" {
			return
		}
		_, err := matchFilters(img, map[string][]string{key: {val}})
		fuzzcheck.Check(t, err, kv)
	})
}
