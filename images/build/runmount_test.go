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
	want := []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run/secrets/tok", "/var/cache/app", "/mnt/a",
		"/run/secrets", "/run", "/var/cache", "/mnt"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("excludes %q, want %q", got, want)
	}
	if emptyUpper(upper, got) {
		t.Error("an upper dir with var/lib/kept is empty")
	}
}

// TestRuntimeStubsExcluded checks the runtime's mount points (/etc/hostname
// made for the step) and the etc/ made only to hold them stay out of a RUN's
// layer, so a RUN that changed nothing has an empty upper dir; etc/ with a
// file of the step's stays in.
func TestRuntimeStubsExcluded(t *testing.T) {
	upper := t.TempDir()
	if err := os.MkdirAll(filepath.Join(upper, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"etc/hostname", "etc/resolv.conf"} {
		if err := os.WriteFile(filepath.Join(upper, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ex := mountExcludes(upper, nil)
	if !reflect.DeepEqual(ex, []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc"}) || !emptyUpper(upper, ex) {
		t.Errorf("stubs only: excludes %q, empty %v", ex, emptyUpper(upper, ex))
	}
	if err := os.WriteFile(filepath.Join(upper, "etc/passwd"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ex = mountExcludes(upper, nil)
	if !reflect.DeepEqual(ex, []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"}) || emptyUpper(upper, ex) {
		t.Errorf("with etc/passwd: excludes %q, empty %v", ex, emptyUpper(upper, ex))
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
