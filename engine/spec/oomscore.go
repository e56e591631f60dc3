package spec

import (
	"fmt"

	"github.com/containerd/errdefs"
)

// ValidateOOMScoreAdj refuses an OOM score adjustment outside the kernel's
// -1000..1000.
func ValidateOOMScoreAdj(n int) error {
	if n < -1000 || n > 1000 {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("oom score adjustment %d is out of range: want -1000 to 1000", n))
	}
	return nil
}
