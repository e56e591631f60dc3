package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/runner"
)

// RemoveOptions tune Remove.
type RemoveOptions struct {
	Force   bool // kill a running container first
	Volumes bool // remove its anonymous volumes (none until volumes exist)
}

// Remove deletes a container: its record, root filesystem, logs and runtime
// state. A running container is refused unless Force.
func (e *Engine) Remove(ctx context.Context, ref string, o RemoveOptions) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if c.State.Running {
		if !o.Force {
			return errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot remove container %s: container is %s: stop the container before removing or force remove", c.Name[1:], c.State.Status))
		}
		_ = os.WriteFile(filepath.Join(e.containerDir(c.ID), "stopped"), nil, 0o600)
		if c.State.Paused {
			_ = e.signal(c.ID, unix.SIGKILL)
			_ = e.resume(c.ID)
		}
		_ = e.signal(c.ID, unix.SIGKILL)
		if !e.waitStopped(ctx, c.ID, 30*time.Second) {
			return fmt.Errorf("cannot remove container %s: it did not stop", c.Name[1:])
		}
	}
	// An exited container's monitor may still be finishing (destroying the
	// cgroup, unmounting): let it.
	if !e.waitStopped(ctx, c.ID, 30*time.Second) {
		return fmt.Errorf("cannot remove container %s: its monitor does not finish", c.Name[1:])
	}
	unlock, err := e.lock(c.ID)
	if err != nil {
		return err
	}
	defer unlock()
	e.teardownNetwork(ctx, c.ID, nil)
	var anon []string
	if o.Volumes {
		anon = anonymous(c.Mounts)
	}
	e.releaseVolumes(ctx, c.ID, anon)
	if err := e.cleanup(c.ID); err != nil {
		return err
	}
	if err := e.db.Delete(ctx, c.ID); err != nil {
		return err
	}
	e.emit("destroy", c, nil)
	return nil
}

// cleanup removes everything of a stopped container but its record.
func (e *Engine) cleanup(id string) error {
	_ = runner.Destroy(e.stateRoot(), id)
	rootfs := e.rootfs(id)
	if err := unix.Unmount(rootfs, unix.MNT_DETACH); err != nil && err != syscall.EINVAL && err != syscall.ENOENT {
		return fmt.Errorf("unmount %s: %w", rootfs, err)
	}
	os.Remove(e.sockPath(id))
	if err := os.RemoveAll(e.containerDir(id)); err != nil {
		return fmt.Errorf("remove container dir: %w", err)
	}
	return nil
}

// PruneReport lists what Prune removed.
type PruneReport struct {
	ContainersDeleted []string `json:"ContainersDeleted"`
	SpaceReclaimed    uint64   `json:"SpaceReclaimed"`
}

// Prune removes every container that is not running.
func (e *Engine) Prune(ctx context.Context) (PruneReport, error) {
	var rep PruneReport
	cs, err := e.List(ctx, true)
	if err != nil {
		return rep, err
	}
	for _, c := range cs {
		if c.State.Running {
			continue
		}
		size := dirSize(filepath.Join(e.containerDir(c.ID), "fs/upper")) + fileSize(e.logPath(c.ID))
		if err := e.Remove(ctx, c.ID, RemoveOptions{}); err != nil {
			return rep, err
		}
		rep.ContainersDeleted = append(rep.ContainersDeleted, c.ID)
		rep.SpaceReclaimed += size
	}
	return rep, nil
}

func fileSize(p string) uint64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return uint64(fi.Size())
}

func dirSize(dir string) uint64 {
	var n uint64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += uint64(fi.Size())
			}
		}
		return nil
	})
	return n
}
