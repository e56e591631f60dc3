package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"

	"berth/volumes"
)

// PathStat describes one path inside a container, as the Docker Engine API's
// archive endpoints report it (docker cp reads it before copying).
type PathStat struct {
	Name  string      `json:"name"`
	Size  int64       `json:"size"`
	Mode  os.FileMode `json:"mode"`
	Mtime time.Time   `json:"mtime"`
	// LinkTarget is, for a symlink, the path inside the container that the
	// link leads to, every link on the way followed.
	LinkTarget string `json:"linkTarget"`
}

// StatPath describes path p inside the container without reading its
// content: a final symlink is described as a link, with its target. A
// stopped container's root filesystem is mounted for the while.
func (e *Engine) StatPath(ctx context.Context, ref, p string) (PathStat, error) {
	var ps PathStat
	if p == "" || strings.ContainsRune(p, 0) {
		return ps, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid path %q", p))
	}
	err := e.withRootfs(ctx, ref, func(root string) error {
		var err error
		ps, err = statIn(root, p)
		return err
	})
	return ps, err
}

// statIn is StatPath inside root.
func statIn(root, p string) (PathStat, error) {
	clean := path.Join("/", p)
	name := path.Base(clean)
	keepLast := !strings.HasSuffix(p, "/") && !strings.HasSuffix(p, "/.") && clean != "/"
	if strings.HasSuffix(p, "/.") {
		name = "."
	}
	var host string
	var err error
	if keepLast {
		var parent string
		parent, err = securejoin.SecureJoin(root, path.Dir(clean))
		host = filepath.Join(parent, name)
	} else {
		host, err = securejoin.SecureJoin(root, clean)
	}
	if err != nil {
		return PathStat{}, fmt.Errorf("resolve %s in container: %w", p, err)
	}
	fi, err := os.Lstat(host)
	if errors.Is(err, os.ErrNotExist) {
		return PathStat{}, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("could not find the file %s in container", p))
	}
	if err != nil {
		return PathStat{}, fmt.Errorf("stat %s in container: %w", p, err)
	}
	ps := PathStat{Name: name, Size: fi.Size(), Mode: fi.Mode(), Mtime: fi.ModTime()}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := securejoin.SecureJoin(root, clean)
		if err != nil {
			return PathStat{}, fmt.Errorf("resolve %s in container: %w", p, err)
		}
		rel, err := filepath.Rel(root, target)
		if err != nil {
			return PathStat{}, fmt.Errorf("resolve %s in container: %w", p, err)
		}
		ps.LinkTarget = filepath.Join("/", rel)
	}
	return ps, nil
}

// ExtractOptions tune ExtractArchive.
type ExtractOptions struct {
	// NoOverwriteDirNonDir refuses to replace a directory with a
	// non-directory or the reverse.
	NoOverwriteDirNonDir bool
}

// ExtractArchive untars r into the directory dir of the container (the
// Docker Engine API's PUT archive): dir must exist and be a directory. The
// archive is checked whole first; an entry leaving dir ("..", absolute
// names, links out) refuses it and nothing is written. A container with a
// read-only root filesystem takes archives only into its writable mounts.
func (e *Engine) ExtractArchive(ctx context.Context, ref, dir string, r io.Reader, o ExtractOptions) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if c.HostConfig.ReadonlyRootfs && !onWritableMount(c.Mounts, dir) {
		return errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("container %s's root filesystem is read-only", c.Name[1:]))
	}
	return e.withRootfs(ctx, c.ID, func(root string) error {
		return volumes.ExtractIntoWith(root, dir, r, volumes.ExtractOptions{NoOverwriteDirNonDir: o.NoOverwriteDirNonDir})
	})
}

// onWritableMount says whether container path p is on a writable mount.
func onWritableMount(mps []MountPoint, p string) bool {
	clean := path.Join("/", p)
	for _, mp := range mps {
		d := path.Clean(mp.Destination)
		if mp.RW && (clean == d || strings.HasPrefix(clean, d+"/")) {
			return true
		}
	}
	return false
}
