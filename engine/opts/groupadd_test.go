package opts

import (
	"slices"
	"testing"

	"github.com/containerd/errdefs"

	"berth/testdata/fuzzcheck"
)

func TestParseGroupAdd(t *testing.T) {
	for _, tc := range []struct {
		field string
		want  []string
		err   string
	}{
		{"", nil, ""},
		{"wheel", []string{"wheel"}, ""},
		{"wheel, 123 mail", []string{"wheel", "123", "mail"}, ""},
		{"0,2147483647", []string{"0", "2147483647"}, ""},
		{"2147483648", nil, `invalid --group-add "2147483648": a GID is in the range 0-2147483647`},
		{"-1", nil, `invalid --group-add "-1": a GID is in the range 0-2147483647`},
		{"99999999999999999999", nil, `invalid --group-add "99999999999999999999": a GID is in the range 0-2147483647`},
		{"a:b", nil, `invalid --group-add "a:b": not a group name or GID`},
	} {
		got, err := SplitGroupAdd(tc.field)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errdefs.IsInvalidArgument(err) {
				t.Errorf("SplitGroupAdd(%q) = %v, want %q", tc.field, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("SplitGroupAdd(%q) = %q, %v; want %q", tc.field, got, err, tc.want)
		}
	}
	for _, bad := range [][]string{{""}, {"a b"}, {"x,y"}} {
		if _, err := ParseGroupAdd(bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ParseGroupAdd(%q) = %v, want invalid", bad, err)
		}
	}
}

// FuzzSplitGroupAdd: an accepted field gives groups that each pass
// ParseGroupAdd alone; a refusal is one plain sentence.
func FuzzSplitGroupAdd(f *testing.F) {
	for _, s := range []string{"", "wheel", "1,2 3", "a:b", "-1", "2147483648", ",,", "+5", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		groups, err := SplitGroupAdd(s)
		if err != nil {
			fuzzcheck.Check(t, err, s)
			return
		}
		for _, g := range groups {
			if _, err := ParseGroupAdd([]string{g}); err != nil || g == "" {
				t.Fatalf("%q accepted as %q, but %q alone: %v", s, groups, g, err)
			}
		}
	})
}
