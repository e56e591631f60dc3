package build

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// TestMountFileLivesInTheStore: a secret's or an inline script's private
// copy is made in a locked temp dir of the image store — never in the host's
// /tmp, where a killed build would leave it — with the owner and mode asked
// for, and is gone once the step ends.
func TestMountFileLivesInTheStore(t *testing.T) {
	b := newBuilder(t)
	bd := &build{Builder: b}
	storeTmp := filepath.Join(b.store.Root(), "tmp") + "/"
	var seen string
	err := bd.withFile([]byte("s3cret"), 0, 0, 0o400, func(file string) error {
		seen = file
		if !strings.HasPrefix(file, storeTmp) {
			t.Errorf("the secret's copy is at %s, not under %s", file, storeTmp)
		}
		fi, err := os.Stat(file)
		if err != nil || fi.Mode().Perm() != 0o400 {
			t.Errorf("the copy: %v %v", fi, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(seen)); !os.IsNotExist(err) {
		t.Errorf("the copy's directory outlived the step: %v", err)
	}
}
