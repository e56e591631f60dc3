package server

import (
	"reflect"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
)

// TestImagePruneFilters: an image prune takes dangling, until, label and
// label! as dockerd does; anything else is a 400.
func TestImagePruneFilters(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		raw  string
		all  bool
		want engine.PruneFilters
		bad  bool
	}{
		{raw: ``},
		{raw: `{"dangling":["true"]}`},
		{raw: `{"dangling":["false"]}`, all: true},
		{raw: `{"dangling":{"0":true}}`, all: true},
		{raw: `{"until":["24h"]}`, want: engine.PruneFilters{Until: now.Add(-24 * time.Hour)}},
		{raw: `{"until":["2025-01-01T00:00:00Z"],"dangling":["false"]}`, all: true,
			want: engine.PruneFilters{Until: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{raw: `{"label":{"a=b":true},"label!":["keep"]}`, want: engine.PruneFilters{Labels: []string{"a=b"}, NotLabels: []string{"keep"}}},
		{raw: `{"dangling":["maybe"]}`, bad: true},
		{raw: `{"reference":["x"]}`, bad: true},
		{raw: `{"until":["soon"]}`, bad: true},
		{raw: `{"label":["=x"]}`, bad: true},
		{raw: `{"until":"24h"}`, bad: true},
	} {
		all, f, err := imagePruneFilters(tc.raw, now)
		if tc.bad {
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("%s: %v %+v %v, want a 400", tc.raw, all, f, err)
			}
			continue
		}
		if err != nil || all != tc.all || !f.Until.Equal(tc.want.Until) || !reflect.DeepEqual(f.Labels, tc.want.Labels) ||
			!reflect.DeepEqual(f.NotLabels, tc.want.NotLabels) {
			t.Errorf("%s: all=%v %+v %v, want all=%v %+v", tc.raw, all, f, err, tc.all, tc.want)
		}
	}
}

// TestBuildPruneFilters: a build cache prune takes until (unused-for, its
// old name), label and label!; anything else is a 400.
func TestBuildPruneFilters(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		raw  string
		want engine.PruneFilters
		bad  bool
	}{
		{raw: ``},
		{raw: `{"until":["1h"]}`, want: engine.PruneFilters{Until: now.Add(-time.Hour)}},
		{raw: `{"unused-for":["1h"]}`, want: engine.PruneFilters{Until: now.Add(-time.Hour)}},
		{raw: `{"label":["a"]}`, want: engine.PruneFilters{Labels: []string{"a"}}},
		{raw: `{"until":["1h"],"unused-for":["2h"]}`, bad: true},
		{raw: `{"id":["x"]}`, bad: true},
		{raw: `{"until":["later"]}`, bad: true},
	} {
		f, err := buildPruneFilters(tc.raw, now)
		if tc.bad {
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("%s: %+v %v, want a 400", tc.raw, f, err)
			}
			continue
		}
		if err != nil || !f.Until.Equal(tc.want.Until) || !reflect.DeepEqual(f.Labels, tc.want.Labels) {
			t.Errorf("%s: %+v %v, want %+v", tc.raw, f, err, tc.want)
		}
	}
}
