package engine

import (
	"fmt"
	"path"

	"github.com/containerd/errdefs"
)

// checkConfig refuses what Docker refuses in a container's config: a
// variable too long for execve (checkEnv) and a working directory that is
// not an absolute path.
func checkConfig(c *Config) error {
	if err := checkEnv(c.Env); err != nil {
		return err
	}
	if wd := c.WorkingDir; wd != "" && !path.IsAbs(wd) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("the working directory '%s' is invalid, it needs to be an absolute path", wd))
	}
	return nil
}
