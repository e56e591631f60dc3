package engine

import (
	"fmt"

	"github.com/containerd/errdefs"

	"berth/volumes"
)

// VolumeCreateOptions configure CreateVolume: the name ("" for an anonymous
// volume), the driver ("" or "local", the only one), labels, and the local
// driver's mount options (type, device, o: `-o type=tmpfs -o device=tmpfs
// -o o=size=64m` makes a volume that is a tmpfs mounted while containers
// reference it).
type VolumeCreateOptions struct {
	Name    string
	Driver  string
	Labels  map[string]string
	Options map[string]string
}

// CheckVolumeDriver refuses what a berth volume cannot be, in dockerd's
// words: a driver other than local is a plugin berth cannot find
// (errdefs.ErrNotFound, as dockerd's lookup, in one sentence); an option the local driver
// does not know, or a mount without both its type and device, is
// errdefs.ErrInvalidArgument.
func CheckVolumeDriver(name, driver string, opts map[string]string) error {
	what := "create"
	if name != "" {
		what += " " + name
	}
	if driver != "" && driver != VolumeDriverLocal {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("%s: volume plugin %q not found", what, driver))
	}
	if err := volumes.ValidateOptions(opts); err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: %s", what, err.Error()))
	}
	return nil
}
