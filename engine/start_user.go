package engine

import (
	"fmt"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
)

// The process's identity and place inside the rootfs, resolved at each start
// from the image's own files, as Docker does.

// toU32 converts IDs for the OCI spec.
func toU32(in []int) []uint32 {
	out := make([]uint32, len(in))
	for i, v := range in {
		out[i] = uint32(v)
	}
	return out
}

// hasEnv reports whether env sets key.
func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// resolveUser turns "name[:group]" or "uid[:gid]" into IDs with the image's
// /etc/passwd and /etc/group, as Docker does at start.
func resolveUser(rootfs, spec string) (*user.ExecUser, error) {
	passwd, err := securejoin.SecureJoin(rootfs, "/etc/passwd")
	if err != nil {
		return nil, err
	}
	group, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return nil, err
	}
	u, err := user.GetExecUserPath(spec, &user.ExecUser{Home: "/"}, passwd, group)
	if err != nil {
		msg := err.Error() // moby/sys/user names the user: "unable to find user x: ..."
		if !strings.HasPrefix(msg, "unable to find") {
			msg = fmt.Sprintf("invalid user %s: %s", spec, msg)
		}
		return nil, errdefs.ErrInvalidArgument.WithMessage(msg)
	}
	if u.Home == "" {
		u.Home = "/"
	}
	u.Sgids = withPrimaryGroup(u.Gid, u.Sgids)
	return u, nil
}

// ensureWorkdir creates the working directory in the rootfs if missing, as Docker does.
func ensureWorkdir(rootfs, dir string, u *user.ExecUser) error {
	if dir == "" || dir == "/" {
		return nil
	}
	full, err := securejoin.SecureJoin(rootfs, dir)
	if err != nil {
		return fmt.Errorf("working directory %q: %w", dir, err)
	}
	if _, err := os.Stat(full); err == nil {
		return nil
	}
	if err := os.MkdirAll(full, 0o755); err != nil {
		return fmt.Errorf("working directory %q: %w", dir, err)
	}
	return os.Chown(full, u.Uid, u.Gid)
}
