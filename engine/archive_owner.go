package engine

import (
	"context"
	"fmt"

	"berth/volumes"
)

// containerOwner resolves container c's configured user (name or uid, and
// group) with the container's own /etc/passwd and /etc/group, as the owner
// of what `docker cp -a` puts into it.
func (e *Engine) containerOwner(ctx context.Context, c *Container) (*volumes.Owner, error) {
	var owner *volumes.Owner
	err := e.withRootfs(ctx, c.ID, func(root string) error {
		u, err := resolveUser(root, c.Config.User)
		if err != nil {
			return err
		}
		owner = &volumes.Owner{UID: u.Uid, GID: u.Gid}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("container %s's user %s: %w", c.Name[1:], c.Config.User, err)
	}
	return owner, nil
}
