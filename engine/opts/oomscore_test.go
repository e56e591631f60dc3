package opts

import "testing"

// TestParseOOMScoreAdj: -1000..1000 pass; outside, the flag and value are named.
func TestParseOOMScoreAdj(t *testing.T) {
	for _, n := range []int{-1000, 0, 1000} {
		if got, err := ParseOOMScoreAdj(n); err != nil || got != n {
			t.Errorf("%d: %d %v", n, got, err)
		}
	}
	for _, n := range []int{-1001, 1001, 1 << 40} {
		if _, err := ParseOOMScoreAdj(n); err == nil || err.Error() == "" || err.Error()[:24] != "invalid --oom-score-adj " {
			t.Errorf("%d: %v", n, err)
		}
	}
}
