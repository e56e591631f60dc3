package spec

import (
	"fmt"
	"maps"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultShmSize is the size of a container's /dev/shm when --shm-size is
// not given (Docker's 64 MiB).
const DefaultShmSize = 64 << 20

// ValidateShmSize refuses a negative /dev/shm size (0 is the default).
func ValidateShmSize(n int64) error {
	if n < 0 {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("shm size %d is negative: want a size in bytes, or 0 for the default", n))
	}
	return nil
}

// shmOptions are the mount options of /dev/shm for a size in bytes.
func shmOptions(size int64) []string {
	if size <= 0 {
		size = DefaultShmSize
	}
	return []string{"nosuid", "noexec", "nodev", "mode=1777", fmt.Sprintf("size=%d", size)}
}

// applySandbox checks o's sandbox settings and sets them in s (the /dev/shm
// size is defaultMounts').
func applySandbox(s *specs.Spec, o Options, h Host) error {
	if err := ValidateShmSize(o.ShmSize); err != nil {
		return err
	}
	if err := ValidateSysctls(o.Sysctls, !h.ShareHostNet); err != nil {
		return err
	}
	s.Linux.Sysctl = maps.Clone(o.Sysctls)
	if err := ValidateOOMScoreAdj(o.OOMScoreAdj); err != nil {
		return err
	}
	if o.OOMScoreAdj != 0 {
		// Set only when asked: 0 keeps what the container inherits, since
		// lowering it needs CAP_SYS_RESOURCE, which berth may lack.
		adj := o.OOMScoreAdj
		s.Process.OOMScoreAdj = &adj
	}
	return nil
}
