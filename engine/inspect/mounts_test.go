package inspect

import (
	"strconv"
	"testing"

	"berth/engine"
	"berth/engine/spec"
)

// TestMountPointsLeaveOutTmpfsFlag: a tmpfs mount named in HostConfig.Tmpfs
// (--tmpfs) is not in .Mounts, as with dockerd; a --mount type=tmpfs and
// other mounts are.
func TestMountPointsLeaveOutTmpfsFlag(t *testing.T) {
	mps := []engine.MountPoint{
		{Type: "tmpfs", Destination: "/x", RW: true},
		{Type: "tmpfs", Destination: "/y", RW: true},
		{Type: "bind", Source: "/tmp", Destination: "/x/b", RW: true},
	}
	for _, tt := range []struct {
		tmpfs map[string]string
		want  []string
	}{
		{nil, []string{"/x", "/y", "/x/b"}},
		{map[string]string{"/x": "size=1m"}, []string{"/y", "/x/b"}},
		{map[string]string{"/x/": "", "/y": ""}, []string{"/x/b"}},
		{map[string]string{"/x/b": ""}, []string{"/x", "/y", "/x/b"}}, // a bind there stays
	} {
		got := mountPoints(mps, tt.tmpfs)
		var dsts []string
		for _, m := range got {
			dsts = append(dsts, m.Destination)
		}
		if len(dsts) != len(tt.want) {
			t.Errorf("Tmpfs %v: mounts %v, want %v", tt.tmpfs, dsts, tt.want)
			continue
		}
		for i := range dsts {
			if dsts[i] != tt.want[i] {
				t.Errorf("Tmpfs %v: mounts %v, want %v", tt.tmpfs, dsts, tt.want)
				break
			}
		}
	}
}

// TestHostConfigPidsLimitAndSystemPaths: PidsLimit is null without a limit;
// MaskedPaths/ReadonlyPaths are the spec's for a plain container, empty
// with systempaths=unconfined, null for a privileged one.
func TestHostConfigPidsLimitAndSystemPaths(t *testing.T) {
	neg, zero, five := int64(-1), int64(0), int64(5)
	for _, tt := range []struct {
		h             engine.HostConfig
		pids          string
		masked, ro    string
		maskedAtLeast int
	}{
		{engine.HostConfig{}, "<nil>", "list", "list", 10},
		{engine.HostConfig{Resources: spec.Resources{PidsLimit: &neg}}, "<nil>", "list", "list", 10},
		{engine.HostConfig{Resources: spec.Resources{PidsLimit: &zero}}, "<nil>", "list", "list", 10},
		{engine.HostConfig{Resources: spec.Resources{PidsLimit: &five}}, "5", "list", "list", 10},
		{engine.HostConfig{Privileged: true}, "<nil>", "null", "null", 0},
		{engine.HostConfig{SecurityOpt: []string{"systempaths=unconfined"}}, "<nil>", "empty", "empty", 0},
	} {
		out := hostConfig(&tt.h)
		pids := "<nil>"
		if out.PidsLimit != nil {
			pids = strconv.FormatInt(*out.PidsLimit, 10)
		}
		kind := func(l []string) string {
			switch {
			case l == nil:
				return "null"
			case len(l) == 0:
				return "empty"
			}
			return "list"
		}
		if pids != tt.pids || kind(out.MaskedPaths) != tt.masked || kind(out.ReadonlyPaths) != tt.ro || len(out.MaskedPaths) < tt.maskedAtLeast {
			t.Errorf("%+v: PidsLimit %s, MaskedPaths %v, ReadonlyPaths %v", tt.h, pids, out.MaskedPaths, out.ReadonlyPaths)
		}
	}
}
