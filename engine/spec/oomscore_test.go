package spec

import (
	"testing"

	"github.com/containerd/errdefs"
)

// TestBuildOOMScoreAdj: a non-zero adjustment is the process's; 0 leaves
// the inherited one; outside -1000..1000 is refused.
func TestBuildOOMScoreAdj(t *testing.T) {
	for _, n := range []int{-1000, -5, 500, 1000} {
		s, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, OOMScoreAdj: n}, Host{})
		if err != nil || s.Process.OOMScoreAdj == nil || *s.Process.OOMScoreAdj != n {
			t.Errorf("OOMScoreAdj %d: %v %v", n, s, err)
		}
	}
	if s, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}}, Host{}); err != nil || s.Process.OOMScoreAdj != nil {
		t.Errorf("OOMScoreAdj 0: %v", err)
	}
	for _, n := range []int{-1001, 1001} {
		if _, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, OOMScoreAdj: n}, Host{}); !errdefs.IsInvalidArgument(err) {
			t.Errorf("OOMScoreAdj %d: %v", n, err)
		}
	}
}
