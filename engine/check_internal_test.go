package engine

import "testing"

func TestCheckFindingString(t *testing.T) {
	id := "3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a3f2a"
	for _, tc := range []struct {
		f    CheckFinding
		want string
	}{
		{CheckFinding{Kind: "container", Object: id, Problem: "directory without a record"},
			"container 3f2a3f2a3f2a: directory without a record"},
		{CheckFinding{Kind: "container", Object: id, Problem: "directory without a record", Repair: "removed"},
			"container 3f2a3f2a3f2a: directory without a record (removed)"},
		{CheckFinding{Kind: "veth", Object: "vb1234", Problem: "link without a container or network", Error: "device busy"},
			"veth vb1234: link without a container or network (not repaired: device busy)"},
		{CheckFinding{Kind: "blob", Object: "sha256:" + id, Problem: "corrupt"},
			"blob sha256:" + id + ": corrupt"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestCheckReportRemaining(t *testing.T) {
	r := CheckReport{Findings: []CheckFinding{{Kind: "a", Repair: "removed"}, {Kind: "b"}, {Kind: "c", Error: "x"}}}
	if got := r.Remaining(); got != 2 {
		t.Errorf("Remaining() = %d, want 2", got)
	}
	if got := (&CheckReport{}).Remaining(); got != 0 {
		t.Errorf("empty Remaining() = %d, want 0", got)
	}
}

func TestRestartsAtBoot(t *testing.T) {
	for policy, want := range map[string]bool{"always": true, "unless-stopped": true, "no": false, "": false, "on-failure": false} {
		if got := restartsAtBoot(policy); got != want {
			t.Errorf("restartsAtBoot(%q) = %v, want %v", policy, got, want)
		}
	}
}
