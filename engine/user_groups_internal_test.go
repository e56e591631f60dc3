package engine

import (
	"reflect"
	"testing"
)

// TestWithPrimaryGroup: the primary group leads the supplementary groups,
// once.
func TestWithPrimaryGroup(t *testing.T) {
	for _, tc := range []struct {
		gid   int
		sgids []int
		want  []int
	}{
		{0, nil, []int{0}},
		{0, []int{10}, []int{0, 10}},
		{1000, []int{10, 1000, 20}, []int{1000, 10, 20}},
		{5, []int{7, 7}, []int{5, 7}},
	} {
		if got := withPrimaryGroup(tc.gid, tc.sgids); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("withPrimaryGroup(%d, %v) = %v, want %v", tc.gid, tc.sgids, got, tc.want)
		}
	}
}
