package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"berth/engine/spec"
)

// A container may share the host's PID, IPC or UTS namespace (--pid host,
// --ipc host, --uts host), or another container's PID or IPC namespace
// (--pid container:NAME, --ipc container:NAME: docker's way to debug a
// running container with tools its image lacks). The other container must
// run when this one starts; it is named by reference in the record, as
// Docker keeps it, and looked up at each start. An IPC namespace is shared
// with its /dev/shm, which a container's own tmpfs cannot be (a mount of
// another mount namespace cannot be bound): a container that gives its IPC
// namespace is made with --ipc shareable, whose /dev/shm is a tmpfs mounted
// in the host's namespace at <container dir>/shm, from its start to its
// final exit (its monitor unmounts it; so do removal and system check).

// IPC modes besides "host" and "container:NAME", as Docker's.
const (
	ipcPrivate   = "private"
	ipcShareable = "shareable"
	ipcNone      = "none"
)

// validateNSModes checks --pid, --ipc and --uts as dockerd does, the
// container they name included.
func (e *Engine) validateNSModes(ctx context.Context, o *CreateOptions) error {
	h := &o.HostConfig
	bad := func(format string, a ...any) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, a...))
	}
	if m := h.PidMode; m != "" && m != spec.NSHost && !strings.HasPrefix(m, "container:") {
		return bad("invalid PID mode %q: want host or container:NAME", m)
	}
	switch m := h.IpcMode; {
	case m == "", m == ipcPrivate, m == ipcShareable, m == ipcNone, m == spec.NSHost, strings.HasPrefix(m, "container:"):
	default:
		return bad("invalid IPC mode %q: want private, shareable, none, host or container:NAME", m)
	}
	if m := h.UTSMode; m != "" && m != spec.NSHost {
		return bad("invalid UTS mode %q: want host", m)
	}
	if h.UTSMode == spec.NSHost && o.Config.Hostname != "" {
		return bad("Conflicting options: hostname and the UTS mode")
	}
	for what, m := range map[string]string{"PID": h.PidMode, "IPC": h.IpcMode} {
		ref, ok := strings.CutPrefix(m, "container:")
		if !ok {
			continue
		}
		if ref == "" {
			return bad("invalid %s mode %q: name the container", what, m)
		}
		if _, err := e.db.Get(ctx, ref); err != nil {
			return fmt.Errorf("%s mode %s: %w", strings.ToLower(what), m, err)
		}
	}
	return nil
}

// sharedNamespaces resolves a container's PID, IPC and UTS modes into what
// its spec joins, at its start: a container named must be running, and
// shareable to give its IPC namespace. A shareable container's /dev/shm is
// mounted here.
func (e *Engine) sharedNamespaces(ctx context.Context, c *Container) (spec.SharedNamespaces, error) {
	h := &c.HostConfig
	var sh spec.SharedNamespaces
	join := func(what, mode, ns string) (string, int, error) {
		ref, ok := strings.CutPrefix(mode, "container:")
		if !ok {
			return mode, 0, nil
		}
		other, err := e.Inspect(ctx, ref)
		if err != nil {
			return "", 0, err
		}
		if !other.State.Running || other.State.Pid <= 0 {
			return "", 0, errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot join %s of a non running container: %s", what, ref))
		}
		if ns == "ipc" && other.HostConfig.IpcMode != ipcShareable {
			return "", 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
				"cannot join IPC of container %s: it is not shareable (create it with --ipc shareable)", ref))
		}
		return fmt.Sprintf("/proc/%d/ns/%s", other.State.Pid, ns), other.State.Pid, nil
	}
	var err error
	if sh.PID, _, err = join("PID", h.PidMode, "pid"); err != nil {
		return sh, err
	}
	ipc, pid, err := join("IPC", h.IpcMode, "ipc")
	if err != nil {
		return sh, err
	}
	switch {
	case pid > 0:
		sh.IPC, sh.Shm = ipc, e.shmDir(strings.TrimPrefix(h.IpcMode, "container:"))
		if on, err := mountinfo.Mounted(sh.Shm); err != nil || !on {
			return sh, errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot join IPC of container %s: its /dev/shm is not mounted", ref(h.IpcMode)))
		}
	case ipc == ipcShareable:
		if sh.Shm, err = e.mountShm(c); err != nil {
			return sh, err
		}
	case ipc == spec.NSHost:
		sh.IPC, sh.Shm = spec.NSHost, "/dev/shm"
	case ipc == ipcNone:
		sh.Shm = spec.ShmNone
	}
	sh.UTS = h.UTSMode
	return sh, nil
}

// hostHostname is the hostname a container in the host's UTS namespace
// has: the host's.
func hostHostname() (string, error) {
	name, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("read the host's name: %w", err)
	}
	return name, nil
}

// ref is the container a "container:NAME" mode names.
func ref(mode string) string { return strings.TrimPrefix(mode, "container:") }

// shmDir is where a shareable container's /dev/shm is mounted on the host;
// ref is its ID or name.
func (e *Engine) shmDir(ref string) string {
	if row, err := e.db.Get(context.Background(), ref); err == nil {
		ref = row.ID
	}
	return filepath.Join(e.containerDir(ref), "shm")
}

// mountShm mounts a shareable container's /dev/shm tmpfs (of its
// --shm-size) on the host, unless a start that was stopped left it there.
func (e *Engine) mountShm(c *Container) (string, error) {
	dir := filepath.Join(e.containerDir(c.ID), "shm")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("shareable /dev/shm: %w", err)
	}
	if on, err := mountinfo.Mounted(dir); err != nil || on {
		return dir, err
	}
	size := c.HostConfig.ShmSize
	if size <= 0 {
		size = spec.DefaultShmSize
	}
	opts := fmt.Sprintf("mode=1777,size=%d", size)
	if err := unix.Mount("shm", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
		return "", fmt.Errorf("mount the shareable /dev/shm of %s: %w", c.Name[1:], err)
	}
	return dir, nil
}

// shareableShm is the host path of c's /dev/shm if it is shareable, "".
func (e *Engine) shareableShm(c *Container) string {
	if c.HostConfig.IpcMode != ipcShareable {
		return ""
	}
	return filepath.Join(e.containerDir(c.ID), "shm")
}
