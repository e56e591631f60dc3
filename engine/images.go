package engine

import (
	"context"
	"io"

	"berth/images"
)

// The image methods below are the engine's image API: front ends list,
// fetch, tag and remove images through them, never through the store, so
// that a remote engine can stand in (see docs/engine-api.md). The store
// records an image event for every change.

// ListImages returns the images that o selects, newest first.
func (e *Engine) ListImages(ctx context.Context, o images.ListOptions) ([]images.Image, error) {
	return e.images.List(ctx, o)
}

// InspectImage returns the image that ref names (a reference, an ID or a
// unique ID prefix).
func (e *Engine) InspectImage(ctx context.Context, ref string) (*images.Image, error) {
	return e.images.Resolve(ref)
}

// ImageHistory lists the steps that made an image, newest first.
func (e *Engine) ImageHistory(ctx context.Context, ref string) ([]images.HistoryEntry, error) {
	return e.images.History(ctx, ref)
}

// PullImage fetches an image from its registry, sending per-layer progress
// on o.Progress.
func (e *Engine) PullImage(ctx context.Context, ref string, o images.PullOptions) (*images.Image, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	return e.images.Pull(ctx, ref, o)
}

// PushImage uploads an image to its registry, sending per-layer progress on
// o.Progress, and returns its manifest's digest and size.
func (e *Engine) PushImage(ctx context.Context, ref string, o images.PushOptions) (string, int64, error) {
	if _, err := e.images.Resolve(ref); err != nil {
		return "", 0, err
	}
	if err := e.images.Push(ctx, ref, o); err != nil {
		return "", 0, err
	}
	img, err := e.images.Resolve(ref)
	if err != nil {
		return "", 0, err
	}
	size, _ := e.images.BlobSize(img.ManifestDigest) // 0 when unknown
	return img.ManifestDigest, size, nil
}

// TagImage gives the image src the reference target.
func (e *Engine) TagImage(ctx context.Context, src, target string) error {
	if err := e.CheckSpace(); err != nil {
		return err
	}
	return e.images.Tag(ctx, src, target)
}

// RemoveImage untags or deletes an image; one a container was made from is
// refused (errdefs.ErrConflict, naming the container running or stopped as
// dockerd does) unless force, which only untags it (by ID, an image a
// running container uses is refused even with force).
func (e *Engine) RemoveImage(ctx context.Context, ref string, force bool) ([]images.DeleteResponse, error) {
	return e.images.Remove(ctx, ref, force, e.imageUsers(ctx))
}

// imageUsers lists the containers made from an image, each running or not,
// for the words of a refusal to remove it.
func (e *Engine) imageUsers(ctx context.Context) images.UsersFunc {
	return func(id string) ([]images.User, error) {
		ids, err := e.ImageUsers(ctx, id)
		if err != nil {
			return nil, err
		}
		users := make([]images.User, 0, len(ids))
		for _, cid := range ids {
			st, err := e.runtimeState(cid)
			if err != nil {
				return nil, err
			}
			users = append(users, images.User{ID: cid, Running: toState(st, false).Running})
		}
		return users, nil
	}
}

// PruneImages removes dangling images (all unused ones with all) and
// returns what went and the bytes reclaimed.
func (e *Engine) PruneImages(ctx context.Context, all bool) ([]images.DeleteResponse, int64, error) {
	return e.images.Prune(ctx, all, e.imageInUse(ctx))
}

// imageInUse reports whether a container was made from an image; an error
// counts as in use, so that nothing is removed on a doubt.
func (e *Engine) imageInUse(ctx context.Context) func(string) bool {
	return func(id string) bool {
		used, err := e.ImageUsers(ctx, id)
		return err != nil || len(used) > 0
	}
}

// SaveImages writes refs as one `docker save` tarball to w.
func (e *Engine) SaveImages(ctx context.Context, w io.Writer, refs []string) error {
	return e.images.Save(ctx, w, refs)
}

// LoadImages reads a `docker save` or OCI tarball, reporting each image
// loaded on progress, and returns their references.
func (e *Engine) LoadImages(ctx context.Context, r io.Reader, progress func(string)) ([]string, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	return e.images.Load(ctx, r, progress)
}

// ImportImage makes an image of one layer from a filesystem tarball read
// from r (a file path with ImportImageFile), tagged ref, with Dockerfile
// changes (CMD, ENV …) applied to its config.
func (e *Engine) ImportImage(ctx context.Context, r io.Reader, ref string, changes ...string) (*images.Image, error) {
	return e.ImportImageWith(ctx, r, images.ImportOptions{Ref: ref, Changes: changes})
}

// ImportImageWith is ImportImage with a commit message (docker import -m).
func (e *Engine) ImportImageWith(ctx context.Context, r io.Reader, o images.ImportOptions) (*images.Image, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	return e.images.ImportWith(ctx, r, o)
}

// ImportImageFile is ImportImage from a tarball at path on this host.
func (e *Engine) ImportImageFile(ctx context.Context, path, ref string, changes ...string) (*images.Image, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	return e.images.ImportFile(ctx, path, ref, changes...)
}

// BootstrapImage makes a base image (busybox, debian) from this host's
// packages, reporting steps on progress.
func (e *Engine) BootstrapImage(ctx context.Context, name string, progress func(string)) (*images.Image, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	return e.images.Bootstrap(ctx, name, progress)
}
