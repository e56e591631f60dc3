package engine

import (
	"fmt"
	"path"
	"strings"

	"github.com/containerd/errdefs"
)

// checkConfig refuses what Docker refuses in a container's config: a
// variable too long for execve (checkEnv), a working directory that is not
// an absolute path, a hostname for a container joining another's network
// namespace (network mode "container:X"; it takes that one's).
func checkConfig(c *Config, networkMode string) error {
	if err := checkEnv(c.Env); err != nil {
		return err
	}
	if strings.HasPrefix(networkMode, "container:") && c.Hostname != "" {
		return errdefs.ErrInvalidArgument.WithMessage("conflicting options: hostname and the network mode")
	}
	if wd := c.WorkingDir; wd != "" && !path.IsAbs(wd) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("the working directory '%s' is invalid, it needs to be an absolute path", wd))
	}
	return nil
}
