package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/monitor"
	"berth/engine/runner"
	"berth/engine/store"
)

// RemoveOptions tune Remove.
type RemoveOptions struct {
	Force   bool // kill a running container first
	Volumes bool // remove its anonymous volumes (none until volumes exist)

	// ended says the container's monitor has said its container ended for
	// good (an --rm waiter's removal): there is nothing to stop, only the
	// monitor's exit to wait for.
	ended bool
}

// removal marks a container's record while it is being removed, so that a
// removal killed halfway is completed by the next one (or by the next engine
// that opens).
type removal struct {
	Volumes bool `json:"Volumes,omitempty"` // remove the anonymous volumes too
}

// Remove deletes a container: its record, root filesystem, logs and runtime
// state. A running container is refused unless Force. The steps are ordered
// so that a kill at any point leaves a state the next removal completes:
// under the container's lock, the record is marked first; then the monitor is
// stopped and waited for, so that nothing writes into the container's
// directory any more; then the files go, and the record last.
func (e *Engine) Remove(ctx context.Context, ref string, o RemoveOptions) error {
	row, unlock, err := e.lockRow(ctx, ref)
	if err != nil {
		return err
	}
	defer unlock()
	return e.removeLocked(ctx, row, o)
}

// removeLocked is Remove for a container whose lock the caller holds.
func (e *Engine) removeLocked(ctx context.Context, row store.Row, o RemoveOptions) error {
	c, st, rec, err := e.removalTarget(row)
	if err != nil {
		return err
	}
	if rec.Removal == nil {
		if c.State.Running && !o.Force {
			return runningConflict(c)
		}
		rec.Removal = &removal{Volumes: o.Volumes}
		if err := e.saveRecord(ctx, c.ID, rec); err != nil {
			return err
		}
		e.at("rm.marked")
	}
	if err := e.stopForRemoval(ctx, c, st, o.ended); err != nil {
		return err
	}
	e.at("rm.monitor-stopped")
	if ownsNetwork(c.HostConfig.NetworkMode) {
		e.teardownNetwork(ctx, c.ID, nil)
	}
	e.at("rm.network-released")
	var anon []string
	if rec.Removal.Volumes {
		anon = anonymous(c.Mounts)
	}
	e.releaseVolumes(ctx, c.ID, anon)
	e.at("rm.volumes-released")
	if err := e.cleanup(c.ID); err != nil {
		return err
	}
	e.at("rm.files-deleted")
	// The image reference goes before the record: until the record is gone
	// its image ID still keeps the image.
	if err := e.images.Release(ctx, c.ID); err != nil {
		return err
	}
	e.at("rm.image-released")
	if err := e.db.Delete(ctx, c.ID); err != nil {
		return err
	}
	e.at("rm.row-deleted")
	// Whoever waits for the lock finds the record gone once it has it.
	os.Remove(e.lockPath(c.ID))
	e.emit("destroy", c, nil)
	return nil
}

// removalTarget loads what Remove needs of a container whose lock the caller
// holds. A record too corrupt to load is still removed, by ID and name.
func (e *Engine) removalTarget(row store.Row) (*Container, *monitor.State, *record, error) {
	st, err := e.settle(row.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	rec, err := decodeRecord(row.Data)
	if err != nil {
		bare := &Container{ID: row.ID, Name: "/" + row.Name, State: toState(st, false)}
		return bare, st, &record{}, nil
	}
	c, err := e.load(row)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, st, rec, nil
}

// stopForRemoval makes sure no monitor runs for the container any more: it
// cancels restarts, kills the container if it runs (or is being started),
// and waits for the monitor to exit. A container whose monitor said it
// ended (ended) and whose state says so has no process to kill and no
// restart to cancel (an --rm container has no restart policy): its monitor
// is only waited for, with no libcontainer state loaded on the way. (A
// start that came between the end and this removal is killed as ever.)
func (e *Engine) stopForRemoval(ctx context.Context, c *Container, st *monitor.State, ended bool) error {
	if !st.Alive() {
		return nil
	}
	if !ended || (st.Status != monitor.StatusExited && st.Status != monitor.StatusDead) {
		_ = os.WriteFile(filepath.Join(e.containerDir(c.ID), "stopped"), nil, 0o600)
		if err := e.signal(c.ID, unix.SIGKILL); err == nil && e.isPaused(c.ID) {
			_ = e.resume(c.ID) // a frozen process takes no signal
		}
	}
	if !waitMonitor(ctx, st, 30*time.Second) {
		return fmt.Errorf("cannot remove container %s: its monitor (pid %d) does not end", c.Name[1:], st.MonitorPid)
	}
	return nil
}

// completeRemovals finishes the removals that were killed halfway, unless
// another process is at it.
func (e *Engine) completeRemovals(ctx context.Context) {
	ids, err := e.db.Removing(ctx)
	if err != nil {
		return
	}
	for _, id := range ids {
		unlock, ok := e.tryLock(id)
		if !ok {
			continue
		}
		unlock()
		_ = e.Remove(ctx, id, RemoveOptions{Force: true})
	}
}

// cleanup removes everything of a stopped container but its record. Its
// root filesystem, if still mounted (the monitor of an --rm container leaves
// it to the remover), is unmounted with its directory in the trash.
func (e *Engine) cleanup(id string) error {
	_ = runner.Destroy(e.stateRoot(), id)
	// The monitor removes the container's cgroup as it ends, but gives up
	// on one the kernel still calls busy (a loaded machine's exiting
	// processes); the monitor is gone now, so what is left goes here.
	if dirs := cgroupDirs(id); len(dirs) > 0 {
		if err := removeCgroup(dirs); err != nil {
			return fmt.Errorf("remove container: %w", err)
		}
	}
	os.Remove(e.sockPath(id))
	rootfs, err := filepath.Rel(e.containerDir(id), e.rootfs(id))
	if err != nil {
		return fmt.Errorf("remove container dir: %w", err)
	}
	if err := e.discard(e.containerDir(id), rootfs, "shm"); err != nil {
		return fmt.Errorf("remove container dir: %w", err)
	}
	return nil
}

// PruneReport lists what Prune removed.
type PruneReport struct {
	ContainersDeleted []string `json:"ContainersDeleted"`
	SpaceReclaimed    uint64   `json:"SpaceReclaimed"`
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

// runningConflict refuses the removal of a running (or paused, restarting)
// container in dockerd's words, which name it by ID.
func runningConflict(c *Container) error {
	procedure := "Stop the container before attempting removal or force remove"
	if c.State.Paused {
		procedure = "Unpause and then stop the container before attempting removal or force remove"
	}
	return errdefs.ErrConflict.WithMessage(fmt.Sprintf("You cannot remove a %s container %s. %s", c.State.Status, c.ID, procedure))
}
