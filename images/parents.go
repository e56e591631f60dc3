package images

import (
	"context"
	"database/sql"
)

// removeParents deletes, after img was deleted, each parent up the chain
// that nothing needs any more: no tag or digest, no other child, no
// container using or holding it (the intermediate images of a build), as
// `docker rmi` does unless --no-prune.
func (s *Store) removeParents(ctx context.Context, tx *sql.Tx, img *Image, inUse func(string) bool) ([]DeleteResponse, error) {
	var resp []DeleteResponse
	for id := img.Parent; id != ""; {
		p, err := s.loadImage(ctx, tx, id)
		if err != nil {
			return resp, nil // the parent is gone already
		}
		if len(p.RepoTags) > 0 || len(p.RepoDigests) > 0 {
			break
		}
		children, err := hasChildren(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		used, err := held(ctx, tx, id, inUse)
		if err != nil {
			return nil, err
		}
		if children || used {
			break
		}
		if err := deleteImageRow(ctx, tx, id); err != nil {
			return nil, err
		}
		resp = append(resp, DeleteResponse{Deleted: id})
		id = p.Parent
	}
	return resp, nil
}
