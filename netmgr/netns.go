package netmgr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/moby/sys/mountinfo"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// NamespacePath is where CreateNamespace bind-mounts the namespace of id.
func (m *Manager) NamespacePath(id string) string {
	return filepath.Join(m.runDir, "netns", id)
}

// CreateNamespace makes a named network namespace (an nsfs bind mount at
// NamespacePath(id)) with lo up and returns its path. The work runs on a locked OS
// thread that is thrown away afterwards, so no thread is ever left in it.
func (m *Manager) CreateNamespace(id string) (string, error) {
	if id == "" || filepath.Base(id) != id || id == "." || id == ".." {
		return "", fmt.Errorf("namespace id %q: invalid", id)
	}
	if err := m.sharedNetnsDir(); err != nil {
		return "", err
	}
	p := m.NamespacePath(id)
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
		_ = m.DeleteNamespace(id)
		return "", err
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

// sharedNetnsDir makes runDir/netns a shared mount point (as iproute2 does for
// /run/netns), so unmounting a namespace there also reaches copies of the mount
// that containers' mount namespaces made.
func (m *Manager) sharedNetnsDir() error {
	dir := filepath.Join(m.runDir, "netns")
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	mounted, err := mountinfo.Mounted(dir)
	if err != nil {
		return fmt.Errorf("netns dir %s: %w", dir, err)
	}
	if !mounted {
		if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind netns dir %s: %w", dir, err)
		}
	}
	if err := unix.Mount("none", dir, "", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("share netns dir %s: %w", dir, err)
	}
	return nil
}

// DeleteNamespace unmounts and removes the namespace of id; a missing one is fine.
func (m *Manager) DeleteNamespace(id string) error {
	p := m.NamespacePath(id)
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount namespace %s: %w", p, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove namespace %s: %w", p, err)
	}
	return nil
}

// Close undoes the run directory's netns mount when no namespace is left in it
// (tests use it; the engine may keep the mount for the host's lifetime).
func (m *Manager) Close() error {
	dir := filepath.Join(m.runDir, "netns")
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) > 0 {
		return nil
	}
	for range 10 { // stacked mounts from older runs too
		if mounted, _ := mountinfo.Mounted(dir); !mounted {
			return nil
		}
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("unmount %s: %w", dir, err)
		}
	}
	return nil
}

// isNamespace reports whether p is (a bind mount of) a network namespace.
func isNamespace(p string) bool {
	var st unix.Statfs_t
	return unix.Statfs(p, &st) == nil && st.Type == unix.NSFS_MAGIC
}
