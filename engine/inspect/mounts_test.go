package inspect

import (
	"testing"

	"berth/engine"
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
