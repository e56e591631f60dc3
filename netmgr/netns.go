package netmgr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NamespacePath is where CreateNamespace bind-mounts the namespace of id.
func (m *Manager) NamespacePath(id string) string {
	return filepath.Join(m.runDir, "netns", id)
}

// CreateNamespace makes a named network namespace (an nsfs bind mount at
// NamespacePath(id)) with lo up and returns its path; a namespace of id made
// before is returned as it is. The work runs on a locked OS thread that is
// thrown away afterwards, so no thread is ever left in it. It holds the netns
// lock shared from before the file exists until it is a namespace, so
// Reconcile never takes the file for a left-over one. Callers make one id's
// namespace at a time (the engine does under the container's lock).
func (m *Manager) CreateNamespace(id string) (string, error) {
	if id == "" || filepath.Base(id) != id || id == "." || id == ".." {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("namespace id %q: invalid", id))
	}
	unlock, err := m.netnsShared()
	if err != nil {
		return "", err
	}
	defer unlock()
	p := m.NamespacePath(id)
	if isNamespace(p) {
		return p, nil // made before (a restart)
	}
	// A file that is no namespace is left from a creation killed halfway (the
	// caller is the only one making id's namespace).
	if err := m.removeNamespace(id, false); err != nil {
		return "", err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return "", fmt.Errorf("create namespace file %s: %w", p, err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine, in whatever namespace.
		runtime.LockOSThread()
		errc <- newNamespaceOnThread(p)
	}()
	if err := <-errc; err != nil {
		return "", errors.Join(err, m.removeNamespace(id, false))
	}
	return p, nil
}

func newNamespaceOnThread(p string) error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("unshare net namespace: %w", err)
	}
	self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
	if err := unix.Mount(self, p, "none", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind namespace to %s: %w", p, err)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("namespace %s lo: %w", p, err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("namespace %s lo up: %w", p, err)
	}
	return nil
}

// DeleteNamespace unmounts and removes the namespace of id; a missing one is fine.
func (m *Manager) DeleteNamespace(id string) error {
	unlock, err := m.flock(netnsLockName, unix.LOCK_SH)
	if err != nil {
		return err
	}
	err = m.removeNamespace(id, false)
	unlock()
	if !errors.Is(err, unix.EBUSY) {
		return err
	}
	// A namespace beneath the directory's bind mount holds the file: that
	// takes the lock exclusive.
	return m.withNetnsLock(func() error { return m.removeNamespace(id, true) })
}

// openNamespace opens the namespace at path under the netns lock (so that it
// is not caught while unhide has moved the directory's mount aside).
func (m *Manager) openNamespace(path string) (netns.NsHandle, error) {
	unlock, err := m.flock(netnsLockName, unix.LOCK_SH)
	if err != nil {
		return netns.None(), err
	}
	defer unlock()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return netns.None(), fmt.Errorf("open namespace %s: %w", path, err)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(ns), &st); err != nil || st.Type != unix.NSFS_MAGIC {
		ns.Close()
		return netns.None(), fmt.Errorf("open namespace %s: not a network namespace", path)
	}
	return ns, nil
}

// Close undoes the run directory's netns mount when no namespace is left in it
// and no other holder of the netns lock (a namespace being made, in this
// process or another) needs it; the engine may keep the mount for the host's
// lifetime, tests want it gone.
func (m *Manager) Close() error {
	unlock, ok, err := m.tryFlock(netnsLockName, unix.LOCK_EX)
	if err != nil || !ok {
		return err
	}
	defer unlock()
	if err := m.restoreAside(); err != nil {
		return err
	}
	dir := m.netnsDir()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) > 0 {
		return nil
	}
	return unmountAll(dir)
}

// isNamespace reports whether p is (a bind mount of) a network namespace.
func isNamespace(p string) bool {
	var st unix.Statfs_t
	return unix.Statfs(p, &st) == nil && st.Type == unix.NSFS_MAGIC
}
