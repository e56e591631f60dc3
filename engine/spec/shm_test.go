package spec

import (
	"slices"
	"testing"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestBuildShmSize: /dev/shm is a tmpfs of ShmSize bytes, Docker's 64 MiB
// when 0; a negative size is refused.
func TestBuildShmSize(t *testing.T) {
	for _, tc := range []struct {
		size int64
		want string
	}{{0, "size=67108864"}, {256 << 20, "size=268435456"}, {1, "size=1"}} {
		s, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, ShmSize: tc.size}, Host{})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/dev/shm" })
		if i < 0 || !slices.Contains(s.Mounts[i].Options, tc.want) || !slices.Contains(s.Mounts[i].Options, "mode=1777") {
			t.Errorf("ShmSize %d: /dev/shm %+v, want %s", tc.size, s.Mounts, tc.want)
		}
	}
	if _, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, ShmSize: -1}, Host{}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("negative ShmSize: %v", err)
	}
}
