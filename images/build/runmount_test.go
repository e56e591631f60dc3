package build

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestMountExcludes checks that a step's mount points, and the directories
// made only to hold them, stay out of its layer while the step's own files
// beside them stay in.
func TestMountExcludes(t *testing.T) {
	upper := t.TempDir()
	for _, p := range []string{"run/secrets/tok", "var/cache/app/", "var/lib/kept", "mnt/a/"} {
		full := filepath.Join(upper, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if p[len(p)-1] != '/' {
			if err := os.WriteFile(full, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	rms := []RunMount{{Target: "/run/secrets/tok"}, {Target: "/var/cache/app"}, {Target: "/mnt/a"}}
	got := mountExcludes(upper, rms)
	want := []string{"/run/secrets/tok", "/var/cache/app", "/mnt/a", "/run/secrets", "/run", "/var/cache", "/mnt"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("excludes %q, want %q", got, want)
	}
}
