package server

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/testdata/fuzzcheck"
)

// TestFilterArgs: both shapes of the filters parameter parse (sets sorted,
// false and null values left out); anything else is a 400 naming filters.
func TestFilterArgs(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want map[string][]string
		bad  bool
	}{
		{"", map[string][]string{}, false},
		{`null`, map[string][]string{}, false},
		{`{"status":["running","exited"]}`, map[string][]string{"status": {"running", "exited"}}, false},
		{`{"label":{"b=1":true,"a":true,"off":false}}`, map[string][]string{"label": {"a", "b=1"}}, false},
		{`{"label":{"a=b":true,"c":true},"name":{"x":false}}`, map[string][]string{"label": {"a=b", "c"}}, false},
		{`{"label":["a=b"],"dangling":["true"]}`, map[string][]string{"label": {"a=b"}, "dangling": {"true"}}, false},
		{`{"dangling":{"true":false}}`, map[string][]string{}, false},
		{`{"a":null}`, map[string][]string{}, false},
		{`{"status":"running"}`, nil, true},
		{`{"dangling":{"true":1}}`, nil, true},
		{`{"label":{"a":"yes"}}`, nil, true},
		{`[1]`, nil, true},
		{`not json`, nil, true},
		{`{`, nil, true},
	} {
		got, err := filterArgs(tc.raw)
		if tc.bad {
			if !errdefs.IsInvalidArgument(err) || !strings.HasPrefix(err.Error(), "invalid filters") {
				t.Errorf("%s: %v %v, want a 400 naming filters", tc.raw, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.raw, got, err, tc.want)
		}
	}
}

// FuzzFilterArgs: the filters parameter never panics the parser, every
// error is a plain 400, and what it accepts has no empty key.
func FuzzFilterArgs(f *testing.F) {
	for _, s := range []string{"", `{"a":["b"]}`, `{"a":{"b":true}}`, `{"a":null}`, `{"a":[1]}`, `null`, `"x"`, `[`, `{"a":{"":true}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := filterArgs(raw)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("%q: %v", raw, err)
			}
			fuzzcheck.Check(t, err, raw)
			return
		}
		for k, v := range got {
			if len(v) == 0 {
				t.Fatalf("%q: key %q with no values", raw, k)
			}
		}
	})
}

// TestQueryBool: dockerd's reading of a boolean parameter.
func TestQueryBool(t *testing.T) {
	for in, want := range map[string]bool{"": false, "0": false, "no": false, "False": false, "none": false, " NONE ": false,
		"1": true, "true": true, "TRUE": true, "yes": true} {
		if got := queryBool(url.Values{"x": {in}}, "x"); got != want {
			t.Errorf("queryBool(%q) = %v, want %v", in, got, want)
		}
	}
	if queryBool(url.Values{}, "x") {
		t.Error("an absent parameter is true")
	}
}
