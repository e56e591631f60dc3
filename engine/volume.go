package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/volumes"
)

// Volumes is the engine's volume store (for the volume verbs).
func (e *Engine) Volumes() *volumes.Store { return e.vols }

// checkMounts validates a create's mounts before anything is made: targets
// absolute and unique, --mount binds existing, --volumes-from containers known.
func (e *Engine) checkMounts(ctx context.Context, o *CreateOptions) error {
	seen := map[string]bool{}
	for _, m := range o.HostConfig.Mounts {
		if !path.IsAbs(m.Target) {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid mount target %q: must be an absolute path", m.Target))
		}
		t := path.Clean(m.Target)
		if seen[t] {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("duplicate mount point: %s", t))
		}
		seen[t] = true
		if m.Type == "bind" {
			if !filepath.IsAbs(m.Source) {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid bind source %q: must be an absolute path", m.Source))
			}
			if _, err := os.Stat(m.Source); err != nil && !m.FromShort {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid mount config for type \"bind\": bind source path does not exist: %s", m.Source))
			}
		}
	}
	for _, vf := range o.HostConfig.VolumesFrom {
		ref, mode, _ := strings.Cut(vf, ":")
		if mode != "" && mode != "ro" && mode != "rw" {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --volumes-from mode %q: want ro or rw", mode))
		}
		if _, err := e.db.Get(ctx, ref); err != nil {
			return fmt.Errorf("--volumes-from %s: %w", ref, err)
		}
	}
	return nil
}

// makeMounts resolves a create's mounts, making named volumes on first use
// and anonymous ones for -v /path and the image's VOLUMEs; the volumes are
// referenced by container id. On failure whatever it made is undone.
func (e *Engine) makeMounts(ctx context.Context, o *CreateOptions, imageVolumes map[string]struct{}, id string) (mps []MountPoint, err error) {
	var made []string
	defer func() {
		if err != nil {
			e.releaseVolumes(context.WithoutCancel(ctx), id, made)
		}
	}()
	taken := map[string]bool{}
	for _, m := range o.HostConfig.Mounts {
		mp, name, err := e.makeMount(ctx, m, id)
		if err != nil {
			return nil, err
		}
		if name != "" {
			made = append(made, name)
		}
		taken[mp.Destination] = true
		mps = append(mps, mp)
	}
	from, err := e.mountsFrom(ctx, o.HostConfig.VolumesFrom, id, taken)
	if err != nil {
		return nil, err
	}
	mps = append(mps, from...)
	for target := range imageVolumes {
		if taken[path.Clean(target)] {
			continue
		}
		mp, name, err := e.makeMount(ctx, MountSpec{Type: "volume", Target: target, FromShort: true}, id)
		if err != nil {
			return nil, err
		}
		made = append(made, name)
		mps = append(mps, mp)
	}
	return mps, nil
}

// makeMount resolves one mount; name is the volume it created, if anonymous.
func (e *Engine) makeMount(ctx context.Context, m MountSpec, id string) (MountPoint, string, error) {
	mp := MountPoint{Type: m.Type, Destination: path.Clean(m.Target), RW: !m.ReadOnly, Propagation: m.Propagation,
		NoCopy: m.NoCopy, TmpfsSize: m.TmpfsSize, TmpfsMode: m.TmpfsMode}
	if m.FromShort {
		mp.Mode = m.Mode // -v's options as given; --mount leaves it empty, as dockerd
		if mp.Mode == "" && m.ReadOnly {
			mp.Mode = "ro" // a spec stored before Mode was recorded
		}
	}
	switch m.Type {
	case "bind":
		mp.Source = m.Source
		if mp.Propagation == "" {
			mp.Propagation = "rprivate"
		}
		return mp, "", nil
	case "tmpfs":
		return mp, "", nil
	case "volume":
		v, err := e.vols.Create(ctx, m.Source, nil, m.VolumeOptions)
		if err != nil {
			return mp, "", err
		}
		if err := e.vols.Use(ctx, v.Name, id); err != nil {
			return mp, "", err
		}
		mp.Name, mp.Source, mp.Driver, mp.Anonymous = v.Name, v.Mountpoint, v.Driver, m.Source == ""
		if !m.FromShort || (mp.Mode == "" && !mp.Anonymous) {
			// dockerd's mode for a local volume of --mount and a named one of
			// -v without a mode (relabel shared); berth only shows it.
			mp.Mode = "z"
		}
		if mp.Anonymous {
			return mp, v.Name, nil
		}
		return mp, "", nil
	}
	return mp, "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unknown mount type %q", m.Type))
}

// mountsFrom copies the volumes and binds of --volumes-from containers.
func (e *Engine) mountsFrom(ctx context.Context, refs []string, id string, taken map[string]bool) ([]MountPoint, error) {
	var out []MountPoint
	for _, vf := range refs {
		ref, mode, _ := strings.Cut(vf, ":")
		other, err := e.Inspect(ctx, ref)
		if err != nil {
			return nil, err
		}
		for _, mp := range other.Mounts {
			if mp.Type == "tmpfs" || taken[mp.Destination] {
				continue
			}
			switch mode {
			case "ro":
				mp.RW, mp.Mode = false, "ro"
			case "rw":
				mp.RW, mp.Mode = true, ""
			}
			mp.Anonymous = false // it belongs to the other container
			if mp.Type == "volume" {
				if err := e.vols.Use(ctx, mp.Name, id); err != nil {
					return nil, err
				}
			}
			taken[mp.Destination] = true
			out = append(out, mp)
		}
	}
	return out, nil
}

// releaseVolumes drops a container's volume references and removes the
// anonymous volumes named (its own: rm -v, or a failed create).
func (e *Engine) releaseVolumes(ctx context.Context, id string, remove []string) {
	_, _ = e.vols.Release(ctx, id)
	for _, name := range remove {
		_ = e.vols.Remove(ctx, name, false)
	}
}

// mountVolumes mounts the volumes among mps that were made with the local
// driver's mount options and are not mounted yet.
func (e *Engine) mountVolumes(ctx context.Context, mps []MountPoint) error {
	for _, mp := range mps {
		if mp.Type != "volume" || mp.Name == "" {
			continue
		}
		if err := e.vols.Mount(ctx, mp.Name); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return err
		}
	}
	return nil
}

// mountSpecs turns the container's mounts into OCI mounts, copying the
// image's content into new, empty volumes first (Docker's copy-up).
func mountSpecs(rootfs string, mps []MountPoint) ([]specs.Mount, error) {
	var out []specs.Mount
	for _, mp := range mps {
		switch mp.Type {
		case "tmpfs":
			opts := []string{"nosuid", "nodev", "noexec"}
			if mp.TmpfsSize > 0 {
				opts = append(opts, fmt.Sprintf("size=%d", mp.TmpfsSize))
			}
			if mp.TmpfsMode != 0 {
				opts = append(opts, fmt.Sprintf("mode=%o", mp.TmpfsMode))
			}
			if !mp.RW {
				opts = append(opts, "ro")
			}
			out = append(out, specs.Mount{Destination: mp.Destination, Type: "tmpfs", Source: "tmpfs", Options: opts})
			continue
		case "bind":
			if _, err := os.Stat(mp.Source); errors.Is(err, fs.ErrNotExist) {
				if err := os.MkdirAll(mp.Source, 0o755); err != nil { // -v /missing: created, as Docker does
					return nil, fmt.Errorf("bind source %s: %w", mp.Source, err)
				}
			}
		case "volume":
			if !mp.NoCopy {
				src, err := securejoin.SecureJoin(rootfs, mp.Destination)
				if err != nil {
					return nil, err
				}
				if err := volumes.CopyUp(src, mp.Source); err != nil {
					return nil, fmt.Errorf("copy image content into volume %s: %w", mp.Name, err)
				}
			}
		}
		opts := []string{"rbind", "rw"}
		if !mp.RW {
			opts[1] = "ro"
		}
		if mp.Propagation != "" {
			opts = append(opts, mp.Propagation)
		} else {
			opts = append(opts, "rprivate")
		}
		out = append(out, specs.Mount{Destination: mp.Destination, Type: "bind", Source: mp.Source, Options: opts})
	}
	return out, nil
}

// CopyFrom writes a tar of path inside the container (docker cp C:path -);
// follow archives what a final symlink points to (-L). A stopped container's
// root filesystem is mounted for the copy, and a path in one of its volumes
// or binds is read from the mount's source.
func (e *Engine) CopyFrom(ctx context.Context, ref, p string, follow bool, w io.Writer) (os.FileInfo, error) {
	var fi os.FileInfo
	err := e.withFiles(ctx, ref, p, func(root, rel string, mp *MountPoint) error {
		var err error
		if mp != nil && rel == "/" { // the mount point itself
			fi, err = archiveMountRoot(mp.Source, path.Base(path.Join("/", p)), follow, w)
			return err
		}
		fi, err = volumes.ArchivePathWith(root, rel, volumes.ArchiveOptions{FollowLink: follow}, w)
		return err
	})
	return fi, err
}

// CopyTo extracts a cp archive at path inside the container (docker cp -
// C:path): into it when it is a directory, or as it when it does not exist.
func (e *Engine) CopyTo(ctx context.Context, ref, p string, r io.Reader) error {
	return e.withRootfs(ctx, ref, func(root string) error {
		full, err := securejoin.SecureJoin(root, p)
		if err != nil {
			return err
		}
		if fi, err := os.Stat(full); err == nil && fi.IsDir() {
			return volumes.ExtractInto(root, p, r)
		}
		return volumes.ExtractInto(root, path.Dir(path.Clean("/"+p)), volumes.RenameTop(r, path.Base(p)))
	})
}

// withRootfs gives fn the container's root as its processes see it: the
// running init's root (volumes included), or the overlay mounted for the
// while for a stopped container.
func (e *Engine) withRootfs(ctx context.Context, ref string, fn func(root string) error) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if c.State.Running && c.State.Pid > 0 {
		return fn(fmt.Sprintf("/proc/%d/root", c.State.Pid))
	}
	return e.withStoppedRootfs(ctx, c.ID, fn)
}

// withStoppedRootfs mounts the overlay of container id, which does not run,
// for the while of fn, under the container's lock.
func (e *Engine) withStoppedRootfs(ctx context.Context, id string, fn func(root string) error) error {
	row, unlock, err := e.lockRow(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := decodeRecord(row.Data)
	if err != nil {
		return err
	}
	if err := e.mountRootfs(id, rec.Lowers, false); err != nil {
		return err
	}
	defer unix.Unmount(e.rootfs(id), unix.MNT_DETACH)
	return fn(e.rootfs(id))
}
