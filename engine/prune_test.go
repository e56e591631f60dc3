package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
)

func TestParsePruneFilters(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		in   []string
		want engine.PruneFilters
		err  string
	}{
		{in: nil},
		{in: []string{"until=24h"}, want: engine.PruneFilters{Until: now.Add(-24 * time.Hour)}},
		{in: []string{"until=2025-12-31T00:00:00Z"}, want: engine.PruneFilters{Until: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)}},
		{in: []string{"until=1700000000"}, want: engine.PruneFilters{Until: time.Unix(1700000000, 0)}},
		{in: []string{"label=a", "label=b=c", "label!=keep=yes"}, want: engine.PruneFilters{Labels: []string{"a", "b=c"}, NotLabels: []string{"keep=yes"}}},
		{in: []string{"until"}, err: `bad format of filter "until"`},
		{in: []string{"until=soon"}, err: `invalid until filter "soon"`},
		{in: []string{"until=1h", "until=2h"}, err: "more than one until filter"},
		{in: []string{"label="}, err: "invalid label filter"},
		{in: []string{"label!==x"}, err: "invalid label! filter"},
		{in: []string{"dangling=true"}, err: `invalid filter "dangling"`},
	}
	for _, tt := range tests {
		got, err := engine.ParsePruneFilters(tt.in, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errdefs.IsInvalidArgument(err) {
				t.Errorf("%q: err %v, want invalid argument with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Until.Equal(tt.want.Until) || strings.Join(got.Labels, ",") != strings.Join(tt.want.Labels, ",") ||
			strings.Join(got.NotLabels, ",") != strings.Join(tt.want.NotLabels, ",") {
			t.Errorf("%q: %+v %v, want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestPruneFiltersMatch(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old, young := t0.Add(-time.Hour), t0.Add(time.Hour)
	labels := map[string]string{"tier": "old", "team": "a"}
	tests := []struct {
		f       engine.PruneFilters
		created time.Time
		labels  map[string]string
		want    bool
	}{
		{engine.PruneFilters{}, young, nil, true},
		{engine.PruneFilters{Until: t0}, old, nil, true},
		{engine.PruneFilters{Until: t0}, young, nil, false},
		{engine.PruneFilters{Until: t0}, time.Time{}, nil, false},
		{engine.PruneFilters{Labels: []string{"tier"}}, young, labels, true},
		{engine.PruneFilters{Labels: []string{"tier=old", "team=a"}}, young, labels, true},
		{engine.PruneFilters{Labels: []string{"tier=old", "team=b"}}, young, labels, false},
		{engine.PruneFilters{Labels: []string{"tier"}}, young, nil, false},
		{engine.PruneFilters{NotLabels: []string{"tier=old"}}, young, labels, false},
		{engine.PruneFilters{NotLabels: []string{"tier=new"}}, young, labels, true},
		// label! spares only what matches all of them, as Docker's does.
		{engine.PruneFilters{NotLabels: []string{"tier=old", "team=b"}}, young, labels, true},
		{engine.PruneFilters{NotLabels: []string{"keep"}}, young, nil, true},
	}
	for i, tt := range tests {
		if got := tt.f.Match(tt.created, tt.labels); got != tt.want {
			t.Errorf("%d: %+v Match(%v, %v) = %v", i, tt.f, tt.created, tt.labels, got)
		}
	}
}

func FuzzParsePruneFilters(f *testing.F) {
	for _, s := range []string{"until=24h", "label=a=b", "label!=x", "until=2025-01-01", "until=1700000000.5", "=", "label", "x=y", "until=", "label!==", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := engine.ParsePruneFilters([]string{s}, now)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: error %v is not one invalid-argument line", s, err)
			}
			return
		}
		key, val, _ := strings.Cut(s, "=")
		switch key {
		case "until":
			if got.Until.IsZero() {
				t.Fatalf("%q: accepted with no time", s)
			}
		case "label":
			if len(got.Labels) != 1 || got.Labels[0] != val {
				t.Fatalf("%q: labels %q", s, got.Labels)
			}
		case "label!":
			if len(got.NotLabels) != 1 || got.NotLabels[0] != val {
				t.Fatalf("%q: not-labels %q", s, got.NotLabels)
			}
		default:
			t.Fatalf("%q: unknown filter accepted", s)
		}
	})
}
