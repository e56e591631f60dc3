package engine_test

import (
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
)

// TestCheckVolumeDriver checks volume create's driver and options against
// dockerd 20.10's local driver, message and class.
func TestCheckVolumeDriver(t *testing.T) {
	for _, tc := range []struct {
		name, driver string
		opts         map[string]string
		want         string // "" for accepted
		class        func(error) bool
	}{
		{"v", "", nil, "", nil},
		{"v", "local", map[string]string{}, "", nil},
		{"v", "other", nil, `create v: volume plugin "other" not found`, errdefs.IsNotFound},
		{"", "nfs", map[string]string{"foo": "1"}, `create: volume plugin "nfs" not found`, errdefs.IsNotFound},
		{"v", "local", map[string]string{"foo": "bar"}, `create v: invalid option: "foo"`, errdefs.IsInvalidArgument},
		{"v", "", map[string]string{"type": "tmpfs", "b": "", "a": ""}, `create v: invalid option: "a"`, errdefs.IsInvalidArgument},
		{"v", "", map[string]string{"o": "size=1m", "device": "tmpfs", "type": "tmpfs"}, "", nil},
		{"v", "local", map[string]string{"o": "bind", "device": "/srv", "type": "none"}, "", nil},
		{"v", "", map[string]string{"o": "bind"}, `create v: missing required option: "device"`, errdefs.IsInvalidArgument},
		{"v", "", map[string]string{"o": "bind", "device": "/srv"}, `create v: missing required option: "type"`, errdefs.IsInvalidArgument},
	} {
		err := engine.CheckVolumeDriver(tc.name, tc.driver, tc.opts)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q %q %v: %v, want accepted", tc.name, tc.driver, tc.opts, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want || !tc.class(err)):
			t.Errorf("%q %q %v: %v, want %q", tc.name, tc.driver, tc.opts, err, tc.want)
		}
	}
}
