package engine

import (
	"strings"

	"berth/engine/spec"
)

// validateSandbox refuses sandbox settings of a new container that cannot
// be honoured, and sets the /dev/shm size to Docker's default when none is
// given (inspect shows it, as Docker's).
func validateSandbox(h *HostConfig) error {
	if err := spec.ValidateShmSize(h.ShmSize); err != nil {
		return err
	}
	if h.ShmSize == 0 {
		h.ShmSize = spec.DefaultShmSize
	}
	mode := h.NetworkMode
	ownNet := mode != modeHost && !strings.HasPrefix(mode, "container:")
	if err := spec.ValidateSysctls(h.Sysctls, ownNet); err != nil {
		return err
	}
	if err := validateResolvWords(h.DNSSearch, h.DNSOptions); err != nil {
		return err
	}
	if err := spec.ValidateOOMScoreAdj(h.OomScoreAdj); err != nil {
		return err
	}
	return nil
}
