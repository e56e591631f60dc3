package engine

import "testing"

// TestMountOf: a stopped container's path is found in the deepest volume or
// bind mount it lies in, and tmpfs mounts (empty while stopped) are passed by.
func TestMountOf(t *testing.T) {
	mps := []MountPoint{
		{Type: "volume", Source: "/v/data", Destination: "/data", RW: true},
		{Type: "bind", Source: "/host/deep", Destination: "/data/deep/", RW: false},
		{Type: "tmpfs", Destination: "/run"},
	}
	for _, tc := range []struct {
		p, source, rel string
		ok             bool
	}{
		{"/data", "/v/data", "/", true},
		{"/data/", "/v/data", "/", true},
		{"/data/.", "/v/data", "/.", true},
		{"/data/a/b", "/v/data", "/a/b", true},
		{"data/a/", "/v/data", "/a/", true},
		{"/data/deep/x", "/host/deep", "/x", true},
		{"/database", "", "", false},
		{"/run/x", "", "", false},
		{"/", "", "", false},
	} {
		mp, rel, ok := mountOf(mps, tc.p)
		if ok != tc.ok || ok && (mp.Source != tc.source || rel != tc.rel) {
			t.Errorf("%s: %s %q %v, want %s %q %v", tc.p, mp.Source, rel, ok, tc.source, tc.rel, tc.ok)
		}
	}
}
