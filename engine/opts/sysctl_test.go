package opts

import (
	"maps"
	"strings"
	"testing"

	"berth/testdata/fuzzcheck"
)

// TestParseSysctls: KEY=VALUE values make the map (a later key wins, the
// value may hold "=" or be empty); no "=" or an empty key is refused.
func TestParseSysctls(t *testing.T) {
	got, err := ParseSysctls([]string{"net.a=1", "kernel.sem=1 2 3 4", "net.a=2", "net.b=x=y", "net.c="})
	want := map[string]string{"net.a": "2", "kernel.sem": "1 2 3 4", "net.b": "x=y", "net.c": ""}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("got %v %v, want %v", got, err, want)
	}
	if got, err := ParseSysctls(nil); got != nil || err != nil {
		t.Errorf("none: %v %v", got, err)
	}
	for _, bad := range []string{"net.a", "=1", " =1", ""} {
		if _, err := ParseSysctls([]string{bad}); err == nil || err.Error() != `invalid --sysctl "`+bad+`": want KEY=VALUE` {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzParseSysctls: an accepted value is split at its first "=" into a
// key that is not blank and its value; a refusal is one plain sentence.
func FuzzParseSysctls(f *testing.F) {
	for _, s := range []string{"net.ipv4.ip_forward=1", "a==b", "=", "x", "", " =1", "k=\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseSysctls([]string{s})
		if err != nil {
			fuzzcheck.Check(t, err, s)
			return
		}
		k, v, _ := strings.Cut(s, "=")
		if len(m) != 1 || m[k] != v || strings.TrimSpace(k) == "" {
			t.Fatalf("%q -> %v", s, m)
		}
	})
}
