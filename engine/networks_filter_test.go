package engine_test

import (
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
)

// TestNetworkFilters: each network list filter key, with Docker's rules
// (id and name regular expressions, labels all match, dangling asks about
// use), and a bad key or value is an invalid argument.
func TestNetworkFilters(t *testing.T) {
	custom := &engine.Network{ID: "abc123", Name: "web-net", Driver: "bridge", Labels: map[string]string{"team": "a", "x": ""}}
	bridge := &engine.Network{ID: "def456", Name: "bridge", Driver: "bridge", Labels: map[string]string{}}
	none := &engine.Network{ID: "0a0b", Name: "none", Driver: "null"}
	used := func() bool { return true }
	unused := func() bool { return false }
	for _, tc := range []struct {
		f    map[string][]string
		n    *engine.Network
		use  func() bool
		want bool
	}{
		{map[string][]string{}, custom, nil, true},
		{map[string][]string{"label": {"team=a"}}, custom, nil, true},
		{map[string][]string{"label": {"team=a", "x"}}, custom, nil, true},
		{map[string][]string{"label": {"team=b"}}, custom, nil, false},
		{map[string][]string{"name": {"web"}}, custom, nil, true},
		{map[string][]string{"name": {"^net"}}, custom, nil, false},
		{map[string][]string{"name": {"("}}, custom, nil, false},
		{map[string][]string{"id": {"abc"}}, custom, nil, true},
		{map[string][]string{"driver": {"null", "bridge"}}, none, nil, true},
		{map[string][]string{"driver": {"bridge"}}, none, nil, false},
		{map[string][]string{"scope": {"local"}}, custom, nil, true},
		{map[string][]string{"scope": {"swarm"}}, custom, nil, false},
		{map[string][]string{"type": {"custom"}}, custom, nil, true},
		{map[string][]string{"type": {"custom"}}, bridge, nil, false},
		{map[string][]string{"type": {"builtin"}}, bridge, nil, true},
		{map[string][]string{"dangling": {"true"}}, custom, unused, true},
		{map[string][]string{"dangling": {"true"}}, custom, used, false},
		{map[string][]string{"dangling": {"true"}}, bridge, unused, false},
		{map[string][]string{"dangling": {"false"}}, bridge, unused, true},
		{map[string][]string{"dangling": {"0"}}, custom, used, true},
		{map[string][]string{"id": {"^abc"}, "name": {"web", "db"}}, custom, nil, true},
		{map[string][]string{"label": {"x="}}, custom, nil, true},
	} {
		nf, err := engine.ParseNetworkFilters(tc.f)
		if err != nil {
			t.Fatalf("%v: %v", tc.f, err)
		}
		if got := nf.Match(tc.n, tc.use); got != tc.want {
			t.Errorf("filter %v on %s: %v, want %v", tc.f, tc.n.Name, got, tc.want)
		}
	}
	for _, f := range []map[string][]string{{"type": {"other"}}, {"dangling": {"maybe"}}, {"colour": {"red"}}} {
		if _, err := engine.ParseNetworkFilters(f); !errdefs.IsInvalidArgument(err) {
			t.Errorf("filter %v: %v, want a 400", f, err)
		}
	}
}
