package spec

import (
	"testing"

	"github.com/containerd/errdefs"
)

func TestParseDevice(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want DeviceMapping
		err  string
	}{
		{in: "/dev/sda", want: DeviceMapping{"/dev/sda", "/dev/sda", "rwm"}},
		{in: "/dev/sda:/dev/xvda", want: DeviceMapping{"/dev/sda", "/dev/xvda", "rwm"}},
		{in: "/dev/sda:r", want: DeviceMapping{"/dev/sda", "/dev/sda", "r"}},
		{in: "/dev/sda:/dev/xvda:rw", want: DeviceMapping{"/dev/sda", "/dev/xvda", "rw"}},
		{in: "/dev/./sda/:/dev/x/", want: DeviceMapping{"/dev/sda", "/dev/x", "rwm"}},
		{in: "/dev/sda:/dev/xvda:rwx", err: `invalid --device "/dev/sda:/dev/xvda:rwx": bad mode "rwx" (some of r, w and m)`},
		{in: "/dev/sda:/dev/xvda:rr", err: `invalid --device "/dev/sda:/dev/xvda:rr": bad mode "rr" (some of r, w and m)`},
		{in: "sda", err: `invalid --device "sda": "sda" is not an absolute path`},
		{in: "/dev/sda:xvda", err: `invalid --device "/dev/sda:xvda": "xvda" is not an absolute path`},
		{in: "/a:/b:r:x", err: `invalid --device "/a:/b:r:x": want HOST[:CONTAINER][:PERMISSIONS]`},
	} {
		got, err := ParseDevice(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errdefs.IsInvalidArgument(err) {
				t.Errorf("%q: %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseDeviceCgroupRule(t *testing.T) {
	r, err := ParseDeviceCgroupRule("c 1:3 mr")
	if err != nil || !r.Allow || r.Type != "c" || *r.Major != 1 || *r.Minor != 3 || r.Access != "mr" {
		t.Errorf("c 1:3 mr: %+v %v", r, err)
	}
	r, err = ParseDeviceCgroupRule("b *:* m")
	if err != nil || r.Type != "b" || r.Major != nil || r.Minor != nil {
		t.Errorf("b *:* m: %+v %v", r, err)
	}
	for _, bad := range []string{"x 1:3 r", "c 1:3", "c 1 r", "c 1:3 rwx", "c 1:3 rr", "", "c  1:3 r"} {
		if _, err := ParseDeviceCgroupRule(bad); err == nil || err.Error() != "invalid device cgroup format '"+bad+"'" {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzParseDevice: what ParseDevice accepts has absolute, clean paths and
// a valid mode; what it refuses is one sentence.
func FuzzParseDevice(f *testing.F) {
	for _, s := range []string{"/dev/sda", "/dev/sda:/dev/x:rw", "/dev/sda:r", "a:b:c:d", "", ":::", "/x:/y:mmm"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDevice(s)
		if err != nil {
			return
		}
		if d.PathOnHost == "" || d.PathOnHost[0] != '/' || d.PathInContainer == "" || d.PathInContainer[0] != '/' || !validDeviceMode(d.CgroupPermissions) {
			t.Errorf("%q accepted as %+v", s, d)
		}
		if _, err := ParseDeviceCgroupRule(s); err == nil && len(s) < 5 {
			t.Errorf("%q accepted as a cgroup rule", s)
		}
	})
}
