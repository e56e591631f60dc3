package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
)

// resolveUserGroups is resolveUser with the --group-add groups added to the
// supplementary ones, names looked up in the container's /etc/group as
// dockerd does ("Unable to find group x: ..." for an unknown one).
func resolveUserGroups(rootfs, spec string, groupAdd []string) (*user.ExecUser, error) {
	u, err := resolveUser(rootfs, spec)
	if err != nil || len(groupAdd) == 0 {
		return u, err
	}
	group, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return nil, fmt.Errorf("container /etc/group: %w", err)
	}
	gids, err := user.GetAdditionalGroupsPath(groupAdd, group)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(groupError(err))
	}
	slices.Sort(gids)
	u.Sgids = withPrimaryGroup(u.Gid, append(u.Sgids, gids...))
	return u, nil
}

// groupError is the text of a --group-add lookup's failure as dockerd 20.10
// gives it: its vendored runc capitalised "Unable to find group x: no
// matching entries in group file", which moby/sys/user no longer does.
func groupError(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "unable to find "); ok {
		return "Unable to find " + rest
	}
	return msg
}

// withPrimaryGroup is the supplementary groups a container's process gets:
// its primary group first, then the others, as Docker gives them (`id`
// shows groups=0(root),10(wheel) for root in busybox).
func withPrimaryGroup(gid int, sgids []int) []int {
	out := []int{gid}
	for _, g := range sgids {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}
