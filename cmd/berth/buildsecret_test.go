package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestParseSecret checks --secret's forms, as Docker reads them.
func TestParseSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	if err := os.WriteFile(file, []byte("filevalue"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BERTH_TEST_SECRET", "envvalue")
	for _, tc := range []struct{ spec, id, val string }{
		{"id=a,src=" + file, "a", "filevalue"},
		{"id=a,source=" + file + ",type=file", "a", "filevalue"},
		{"id=a,env=BERTH_TEST_SECRET", "a", "envvalue"},
		{"id=BERTH_TEST_SECRET", "BERTH_TEST_SECRET", "envvalue"},
		{"id=a,type=env,src=BERTH_TEST_SECRET", "a", "envvalue"},
	} {
		id, val, err := parseSecret(tc.spec)
		if err != nil || id != tc.id || string(val) != tc.val {
			t.Errorf("%q: %q %q %v, want %q %q", tc.spec, id, val, err, tc.id, tc.val)
		}
	}
	for _, bad := range []string{"", "src=" + file, "id=a,src=" + dir + "/missing", "id=a,type=ssh", "id=a,x=1", "id=a,novalue", "id=a,env=BERTH_TEST_UNSET"} {
		if id, _, err := parseSecret(bad); err == nil {
			t.Errorf("%q accepted as %q", bad, id)
		}
	}
}

// FuzzParseSecret checks parseSecret never panics and never accepts a
// value without an id.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{"id=a,src=/nonexistent", "id=a,env=HOME", "id=,type=env", ",,,", "id=a,type=env", "=", "ID=HOME"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		id, _, err := parseSecret(spec)
		if err == nil && id == "" {
			t.Errorf("%q: accepted without an id", spec)
		}
	})
}
