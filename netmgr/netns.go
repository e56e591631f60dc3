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
// before is returned as it is. It holds the netns
// lock shared from before the file exists until it is a namespace, so
// Reconcile never takes the file for a left-over one. Callers make one id's
// namespace at a time (the engine does under the container's lock).
//
// The work runs on a locked OS thread that is moved back to the process's
// namespace afterwards. A thread left in the namespace would keep it (and its
// veths) alive after DeleteNamespace for as long as the process runs: Go
// ends a locked thread whose goroutine exits, except the process's main
// thread, which it parks for good instead. A thread that cannot go back is
// still left locked, to end with its goroutine.
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
		runtime.LockOSThread()
		errc <- newNamespaceOnThread(p)
	}()
	if err := <-errc; err != nil {
		return "", errors.Join(err, m.removeNamespace(id, false))
	}
	return p, nil
}

// newNamespaceOnThread makes the namespace on the calling goroutine's locked
// thread and mounts it at p, then moves the thread back and unlocks it; if
// the thread cannot go back it stays locked.
func newNamespaceOnThread(p string) error {
	orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("current net namespace: %w", err)
	}
	defer orig.Close()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread() // unchanged: still in the process's namespace
		return fmt.Errorf("unshare net namespace: %w", err)
	}
	err = setUpNamespace(p)
	if serr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); serr != nil {
		return errors.Join(err, fmt.Errorf("back to the process's net namespace: %w", serr))
	}
	runtime.UnlockOSThread()
	return err
}

// setUpNamespace bind-mounts the calling thread's namespace at p and sets lo up.
func setUpNamespace(p string) error {
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
