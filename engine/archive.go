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
	err := e.withFiles(ctx, ref, p, func(root, rel string, mp *MountPoint) error {
		var err error
		ps, err = statIn(root, rel)
		if err == nil && ps.LinkTarget != "" && mp != nil {
			ps.LinkTarget = path.Join(mp.Destination, ps.LinkTarget) // resolved inside the mount
		}
		return err
	})
	if errdefs.IsNotFound(err) {
		err = errdefs.ErrNotFound.WithMessage(fmt.Sprintf("could not find the file %s in container", p))
	}
	return ps, err
}

// withFiles gives fn the directory tree container path p lies in and p's
// path within it: a running container's root as its processes see it; for
// a stopped one, the source of the volume or bind mount p is in (mp), or
// its overlay mounted for the while.
func (e *Engine) withFiles(ctx context.Context, ref, p string, fn func(root, rel string, mp *MountPoint) error) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if c.State.Running && c.State.Pid > 0 {
		return fn(fmt.Sprintf("/proc/%d/root", c.State.Pid), p, nil)
	}
	if mp, rel, ok := mountOf(c.Mounts, p); ok {
		if err := e.mountVolumes(ctx, []MountPoint{mp}); err != nil {
			return err
		}
		return fn(mp.Source, rel, &mp)
	}
	return e.withStoppedRootfs(ctx, c.ID, func(root string) error { return fn(root, p, nil) })
}

// mountOf finds the volume or bind mount container path p lies in (the
// deepest one) and p's path inside its source, keeping a trailing "/" or
// "/.".
func mountOf(mps []MountPoint, p string) (MountPoint, string, bool) {
	clean := path.Join("/", p)
	var best MountPoint
	found := false
	for _, mp := range mps {
		d := path.Clean(mp.Destination)
		if mp.Source == "" || mp.Type == "tmpfs" || !(clean == d || strings.HasPrefix(clean, d+"/")) {
			continue
		}
		if !found || len(d) > len(best.Destination) {
			best, found = mp, true
			best.Destination = d
		}
	}
	if !found {
		return best, "", false
	}
	rel := "/" + strings.TrimPrefix(strings.TrimPrefix(clean, best.Destination), "/")
	if strings.HasSuffix(p, "/.") {
		rel = strings.TrimSuffix(rel, "/") + "/."
	} else if strings.HasSuffix(p, "/") && rel != "/" {
		rel += "/"
	}
	return best, rel, true
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
	lstat := os.Lstat
	if clean == "/" {
		lstat = os.Stat // the root itself: /proc/PID/root of a running container is a link to it
	}
	fi, err := lstat(host)
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
	// CopyUIDGID gives everything extracted to the container's configured
	// user and its group (docker cp -a); without it, or for a container
	// without a user, entries keep the archive's owners, as dockerd does.
	CopyUIDGID bool
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
	vo := volumes.ExtractOptions{KeepOwner: true, NoOverwriteDirNonDir: o.NoOverwriteDirNonDir}
	if o.CopyUIDGID && c.Config.User != "" {
		if vo.Owner, err = e.containerOwner(ctx, c); err != nil {
			return err
		}
	}
	return e.withFiles(ctx, c.ID, dir, func(root, rel string, mp *MountPoint) error {
		if mp != nil && !mp.RW {
			return errdefs.ErrPermissionDenied.WithMessage(fmt.Sprintf("the mount at %s is read-only", mp.Destination))
		}
		err := volumes.ExtractIntoWith(root, rel, r, vo)
		if errdefs.IsNotFound(err) {
			return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("could not find the file %s in container", dir))
		}
		return err
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

// archiveMountRoot archives a stopped container's mount source directory
// as the tar of its mount point, named name.
func archiveMountRoot(src, name string, follow bool, w io.Writer) (os.FileInfo, error) {
	pr, pw := io.Pipe()
	type result struct {
		fi  os.FileInfo
		err error
	}
	done := make(chan result, 1)
	go func() {
		fi, err := volumes.ArchivePathWith(filepath.Dir(src), filepath.Base(src), volumes.ArchiveOptions{FollowLink: follow}, pw)
		pw.CloseWithError(err)
		done <- result{fi, err}
	}()
	renamed := volumes.RenameTop(pr, name)
	_, cerr := io.Copy(w, renamed)
	if c, ok := renamed.(io.Closer); ok {
		c.Close() // ends the renaming if the copy stopped early
	}
	pr.CloseWithError(io.ErrClosedPipe)
	res := <-done
	if res.err != nil {
		return nil, res.err
	}
	return res.fi, cerr
}
