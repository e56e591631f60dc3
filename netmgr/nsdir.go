package netmgr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// The netns directory (runDir/netns) is a bind mount of itself with shared
// propagation, as iproute2 makes /run/netns, and each named namespace is an
// nsfs bind mount on a file in it. Several berth processes make, use and
// remove namespaces there at once, so its lock file (runDir/netns.lock) orders
// them:
//
//   - making or removing a namespace, and opening one by path, holds it shared;
//   - mounting or unmounting the directory itself, and Reconcile's second
//     look at (and removal of) a file that is no namespace, holds it
//     exclusive.
//
// So the directory is never unmounted under a namespace being made (which
// would then land beneath the next bind mount of the directory, where no path
// reaches it: the wedge of issue 11), and no half-made namespace (a file not
// yet mounted) is taken for a left-over one.
const (
	netnsLockName = "netns.lock"
	// asideName is where unhide moves the directory's bind mount for a moment.
	asideName = "netns.aside"
	// maxStacked bounds the unmount loops (mounts stacked on one path).
	maxStacked = 64
)

func (m *Manager) netnsDir() string { return filepath.Join(m.runDir, "netns") }

// netnsShared takes the netns lock shared with the directory mounted as a
// shared bind mount of itself (mounting it first if needed); the returned func
// unlocks.
func (m *Manager) netnsShared() (func(), error) {
	dir := m.netnsDir()
	for range 10 {
		unlock, err := m.flock(netnsLockName, unix.LOCK_SH)
		if err != nil {
			return nil, err
		}
		mounted, err := mountinfo.Mounted(dir)
		if err != nil {
			unlock()
			return nil, fmt.Errorf("netns dir %s: %w", dir, err)
		}
		if mounted {
			return unlock, nil
		}
		unlock()
		// Mount it under the exclusive lock, then look again under the shared
		// one: an empty directory may be unmounted in between (Close).
		if err := m.withNetnsLock(m.mountNetnsDir); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("netns dir %s: unmounted again and again while mounting it", dir)
}

// withNetnsLock runs f under the netns lock held exclusive, after putting back
// what a killed unhide left aside.
func (m *Manager) withNetnsLock(f func() error) error {
	unlock, err := m.flock(netnsLockName, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	if err := m.restoreAside(); err != nil {
		return err
	}
	return f()
}

// mountNetnsDir makes the netns directory a shared bind mount of itself unless
// it is one already. The caller holds the netns lock exclusive.
func (m *Manager) mountNetnsDir() error {
	dir := m.netnsDir()
	mounted, err := mountinfo.Mounted(dir)
	if err != nil {
		return fmt.Errorf("netns dir %s: %w", dir, err)
	}
	if mounted {
		return nil
	}
	if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind netns dir %s: %w", dir, err)
	}
	if err := unix.Mount("none", dir, "", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("share netns dir %s: %w", dir, err)
	}
	return nil
}

// restoreAside moves the netns directory's bind mount back from where unhide
// put it (unhide does so itself, unless it was killed in between) and removes
// the aside directory. Every holder of the exclusive netns lock calls it
// first, so whatever it finds aside was on the directory just before.
func (m *Manager) restoreAside() error {
	aside := filepath.Join(m.runDir, asideName)
	if _, err := os.Lstat(aside); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	mounted, err := mountinfo.Mounted(aside)
	if err != nil {
		return fmt.Errorf("netns dir aside %s: %w", aside, err)
	}
	if mounted {
		if err := unix.Mount(aside, m.netnsDir(), "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("move netns dir back from %s: %w", aside, err)
		}
	}
	if err := os.Remove(aside); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("netns dir aside: %w", err)
	}
	return nil
}

// unmountAll unmounts every mount stacked on path (a namespace mounted twice
// on one file, or the netns directory bound twice on itself).
func unmountAll(path string) error {
	for range maxStacked {
		err := unix.Unmount(path, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil // not (or no longer) a mount point
		}
		if err != nil {
			return fmt.Errorf("unmount %s: %w", path, err)
		}
	}
	return fmt.Errorf("unmount %s: still mounted after %d unmounts", path, maxStacked)
}

// removeNamespace unmounts everything on the namespace file of id and removes
// it; a missing one is fine. A file that stays busy has a namespace mounted
// beneath the directory's bind mount, which unhide reaches when exclusive says
// the caller holds the netns lock exclusive.
func (m *Manager) removeNamespace(id string, exclusive bool) error {
	p := m.NamespacePath(id)
	if err := unmountAll(p); err != nil {
		return err
	}
	err := os.Remove(p)
	if errors.Is(err, unix.EBUSY) && exclusive {
		err = m.unhide(id)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove namespace %s: %w", p, err)
	}
	return nil
}

// unhide removes the namespace file of id when a namespace is mounted on it
// beneath the netns directory's bind mount, where no path reaches it (it was
// made while the directory was no mount point, and the parent mount does not
// propagate). It moves the bind mount aside, unmounts what is then on the
// file, removes it and moves the bind mount back: the namespaces of the bind
// mount move with it, so none is lost. The caller holds the netns lock
// exclusive.
func (m *Manager) unhide(id string) (err error) {
	dir, aside := m.netnsDir(), filepath.Join(m.runDir, asideName)
	if mounted, merr := mountinfo.Mounted(dir); merr != nil || !mounted {
		return unix.EBUSY // nothing to move: the file is busy for another reason
	}
	if err := os.Mkdir(aside, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("netns dir: %w", err)
	}
	if err := unix.Mount(dir, aside, "", unix.MS_MOVE, ""); err != nil {
		os.Remove(aside)
		return fmt.Errorf("move netns dir %s aside (the namespace beneath it stays): %w", dir, err)
	}
	defer func() { err = errors.Join(err, m.restoreAside()) }()
	p := m.NamespacePath(id)
	if err := unmountAll(p); err != nil {
		return err
	}
	return os.Remove(p)
}
