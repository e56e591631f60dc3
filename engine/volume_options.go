package engine

import (
	"fmt"
	"slices"

	"github.com/containerd/errdefs"
)

// localMountOptions are the options dockerd's local driver takes: the
// filesystem type, the device and the mount options of a volume it mounts
// when a container uses it (-o type=tmpfs -o device=tmpfs -o o=size=10m).
var localMountOptions = []string{"type", "device", "o"}

// CheckVolumeDriver refuses what a berth volume cannot be, in dockerd's
// words where it has them: a driver other than local is a plugin berth
// cannot find (errdefs.ErrNotFound, as dockerd's lookup); an option the local
// driver does not know is an "invalid option" (errdefs.ErrInvalidArgument);
// the local driver's own type, device and o are refused naming the first
// given, since berth's volumes are plain directories it never mounts.
func CheckVolumeDriver(name, driver string, opts map[string]string) error {
	what := "create"
	if name != "" {
		what += " " + name
	}
	if driver != "" && driver != VolumeDriverLocal {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("%s: error looking up volume plugin %s: plugin %q not found", what, driver, driver))
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(localMountOptions, k) {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: invalid option: %q", what, k))
		}
	}
	for _, k := range localMountOptions {
		if v, ok := opts[k]; ok {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
				"%s: volume option %s=%s is not supported: berth's local volumes are plain directories, never mounted from a device or tmpfs", what, k, v))
		}
	}
	return nil
}
