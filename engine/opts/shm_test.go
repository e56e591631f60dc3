package opts

import (
	"strconv"
	"testing"

	"berth/testdata/fuzzcheck"
)

// TestParseShmSize: --shm-size takes docker's units; empty is 0 (the
// default); a negative or malformed size is refused naming the flag.
func TestParseShmSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true}, {"0", 0, true}, {"256m", 256 << 20, true}, {"1g", 1 << 30, true}, {"64MiB", 64 << 20, true},
		{"1048576", 1 << 20, true}, {"1.5k", 1536, true}, {"x", 0, false}, {"-1", 0, false}, {"12q", 0, false}, {"m", 0, false},
	} {
		got, err := ParseShmSize(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("%q: %d %v, want %d (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && err.Error() != `invalid --shm-size "`+tc.in+`": want a size such as 256m` {
			t.Errorf("%q: error %q", tc.in, err)
		}
	}
}

// FuzzParseShmSize: an accepted size is never negative and a plain number
// of bytes reads back as itself; a refusal is one plain sentence.
func FuzzParseShmSize(f *testing.F) {
	for _, s := range []string{"", "0", "64m", "1g", "1.5k", "-1", "x", "99999999999999999999g", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseShmSize(s)
		if err != nil {
			fuzzcheck.Check(t, err, s)
			return
		}
		if n < 0 {
			t.Fatalf("%q = %d", s, n)
		}
		if m, err := ParseShmSize(strconv.FormatInt(n, 10)); err != nil || m != n {
			t.Fatalf("%q = %d, which reads back as %d, %v", s, n, m, err)
		}
	})
}
