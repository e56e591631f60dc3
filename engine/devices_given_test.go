package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/spec"
)

// TestGivenDevices: --device gives a host node at a path with the cgroup
// permissions asked (read allowed, write refused with "r"), a node the
// container makes is usable only with --device-cgroup-rule, and a missing
// or non-device path is refused at create. The node given is one the test
// makes in its own directory, of the loop-control device (10:237), which the
// default rules do not allow.
func TestGivenDevices(t *testing.T) {
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("no /dev/loop-control on this host")
	}
	e := newEngine(t)
	node := filepath.Join(t.TempDir(), "lc")
	if err := unix.Mknod(node, unix.S_IFCHR|0o600, int(unix.Mkdev(10, 237))); err != nil {
		t.Fatal(err)
	}
	open := "exec 3</dev/lc && echo read; exec 4>/dev/lc && echo write"
	o := opts("sh", "-c", open+" 2>/dev/null; true")
	o.HostConfig.Devices = []spec.DeviceMapping{{PathOnHost: node, PathInContainer: "/dev/lc", CgroupPermissions: "r"}}
	if out, _, _ := runAttached(t, e, o); out != "read\n" {
		t.Errorf("--device %s:/dev/lc:r: %q, want read only", node, out)
	}
	o.HostConfig.Devices[0].CgroupPermissions = "rw"
	if out, _, _ := runAttached(t, e, o); out != "read\nwrite\n" {
		t.Errorf("--device %s:/dev/lc:rw: %q", node, out)
	}
	made := "mknod /dev/lc c 10 237 && " + open + " 2>/dev/null; true"
	if out, _, _ := runAttached(t, e, opts("sh", "-c", made)); out != "" {
		t.Errorf("a node the container made, with no rule: %q", out)
	}
	o = opts("sh", "-c", made)
	o.HostConfig.DeviceCgroupRules = []string{"c 10:237 r"}
	if out, _, _ := runAttached(t, e, o); out != "read\n" {
		t.Errorf("--device-cgroup-rule 'c 10:237 r': %q", out)
	}
	for _, tc := range []struct {
		d    spec.DeviceMapping
		rule string
		want string
	}{
		{d: spec.DeviceMapping{PathOnHost: "/dev/nosuch-berth", PathInContainer: "/dev/x", CgroupPermissions: "rwm"},
			want: `cannot add device "/dev/nosuch-berth": no such file or directory`},
		{d: spec.DeviceMapping{PathOnHost: "/etc/hostname", PathInContainer: "/dev/x", CgroupPermissions: "rwm"},
			want: `cannot add device "/etc/hostname": not a device node`},
		{rule: "c 10:237", want: "invalid device cgroup format 'c 10:237'"},
	} {
		o := opts("true")
		if tc.d.PathOnHost != "" {
			o.HostConfig.Devices = []spec.DeviceMapping{tc.d}
		}
		if tc.rule != "" {
			o.HostConfig.DeviceCgroupRules = []string{tc.rule}
		}
		_, err := e.Create(context.Background(), o)
		if err == nil || err.Error() != tc.want || !errdefs.IsInvalidArgument(err) {
			t.Errorf("create with %+v %q: %v, want %q", tc.d, tc.rule, err, tc.want)
		}
	}
	if cs, _ := e.List(context.Background(), true); len(cs) != 4 {
		t.Errorf("%d containers, want the 4 that ran (refused creates make none)", len(cs))
	}
}
