package volumes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/containerd/errdefs"
	"github.com/moby/sys/mount"
	"github.com/moby/sys/mountinfo"
)

// A volume made with the local driver's options (type, device, o: `volume
// create -o type=tmpfs -o device=tmpfs -o o=size=64m`) is a filesystem
// mounted on its _data directory, as with dockerd: mounted when a container
// that uses it starts (or its files are copied from a stopped one), and
// unmounted when the last container that references it is removed, or with
// the volume. A mount is made and dropped under the volume directory's
// flock; whether to drop it is decided there from the references in the
// database, which a container holds from its create to its removal, so a
// start can never lose the mount to another container's removal.

// OptionKeys are the options the local driver takes, as dockerd's: the
// filesystem type, the device (or source) and the mount options.
var OptionKeys = []string{"type", "device", "o"}

// ValidateOptions checks a volume's driver options as dockerd's local
// driver does; what is wrong is errdefs.ErrInvalidArgument in its words.
func ValidateOptions(opts map[string]string) error {
	if len(opts) == 0 {
		return nil
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(OptionKeys, k) {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid option: %q", k))
		}
	}
	for _, k := range []string{"device", "type"} {
		if _, ok := opts[k]; !ok {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("missing required option: %q", k))
		}
	}
	return nil
}

// mounted reports whether the volume's options make it a mounted one.
func (v *Volume) mounted() bool { return v.Options["type"] != "" || v.Options["device"] != "" }

// Mount mounts a volume made with mount options on its _data directory
// unless it is mounted already; a volume without options needs nothing.
func (s *Store) Mount(ctx context.Context, name string) error {
	v, err := s.Get(ctx, name)
	if err != nil || !v.mounted() {
		return err
	}
	unlock := lockDir(s.dir(name))
	if unlock == nil {
		return fmt.Errorf("mount volume %s: cannot lock %s", name, s.dir(name))
	}
	defer unlock()
	on, err := mountinfo.Mounted(v.Mountpoint)
	if err != nil {
		return fmt.Errorf("mount volume %s: %w", name, err)
	}
	if on {
		return nil
	}
	if err := mount.Mount(v.Options["device"], v.Mountpoint, v.Options["type"], v.Options["o"]); err != nil {
		return fmt.Errorf("mount volume %s: %w", name, err)
	}
	return nil
}

// unmountIdle drops the mount of each named volume that has mount options
// and no container referencing it any more.
func (s *Store) unmountIdle(ctx context.Context, names []string) error {
	var errs []error
	for _, name := range names {
		v, err := s.Get(ctx, name)
		if err != nil || !v.mounted() {
			continue // removed meanwhile, or a plain directory
		}
		errs = append(errs, s.unmountIfUnused(ctx, name))
	}
	return errors.Join(errs...)
}

// unmountIfUnused unmounts the volume under its flock when no container
// references it (a create that took it meanwhile mounts it again at start).
func (s *Store) unmountIfUnused(ctx context.Context, name string) error {
	unlock := lockDir(s.dir(name))
	if unlock == nil {
		return nil // the directory is gone: nothing is mounted on it
	}
	defer unlock()
	users, err := usersOf(ctx, s.db, name)
	if err != nil || len(users) > 0 {
		return err
	}
	return unmountUnder(s.dir(name))
}

// unmountUnder drops every mount at or below dir and confirms none is left,
// so that removing dir's files never reaches into a mounted filesystem (a
// bind-mounted host directory above all).
func unmountUnder(dir string) error {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return fmt.Errorf("unmount %s: %w", dir, err)
	}
	if len(mounts) == 0 {
		return nil
	}
	if err := mount.RecursiveUnmount(dir); err != nil {
		return fmt.Errorf("unmount %s: %w", dir, err)
	}
	left, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return fmt.Errorf("unmount %s: %w", dir, err)
	}
	if len(left) > 0 {
		return fmt.Errorf("unmount %s: %s is still mounted", dir, left[0].Mountpoint)
	}
	return nil
}
