package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/monitor"
	"berth/engine/runner"
	"berth/engine/store"
)

const zeroTime = "0001-01-01T00:00:00Z"

// StatusRemoving is the status of a container while it is being removed.
const StatusRemoving = "removing"

// Inspect returns a container by name, ID or ID prefix, with its current state.
func (e *Engine) Inspect(ctx context.Context, ref string) (*Container, error) {
	row, err := e.db.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return e.load(row)
}

// load builds a Container from its row, reading (and, if its monitor died,
// repairing) its runtime state.
func (e *Engine) load(row store.Row) (*Container, error) {
	var rec record
	if err := json.Unmarshal(row.Data, &rec); err != nil {
		return nil, fmt.Errorf("container %s: corrupt record: %w", row.ID, err)
	}
	dir := e.containerDir(row.ID)
	c := &Container{
		ID: row.ID, Created: row.Created, Path: rec.Path, Args: rec.Args, Image: row.ImageID,
		Name: "/" + row.Name, Driver: "overlay2", Platform: "linux",
		ResolvConfPath: filepath.Join(dir, "resolv.conf"), HostnamePath: filepath.Join(dir, "hostname"),
		HostsPath: filepath.Join(dir, "hosts"), LogPath: e.logPath(row.ID),
		HostConfig: rec.HostConfig, Config: rec.Config, ImageRef: rec.ImageRef,
		GraphDriver: GraphDriver{Name: "overlay2", Data: map[string]string{
			"LowerDir": e.lowerDirs(rec.Lowers), "UpperDir": filepath.Join(dir, "fs/upper"),
			"WorkDir": filepath.Join(dir, "fs/work"), "MergedDir": e.rootfs(row.ID),
		}},
	}
	if c.Args == nil {
		c.Args = []string{}
	}
	c.HostConfig.MemorySwap = rec.HostConfig.SwapLimit(e.host.spec(""))
	c.Mounts = loadMounts(rec.Mounts)
	c.NetworkSettings = NetworkSettings{SandboxKey: rec.NetNS, Ports: rec.Ports, Networks: rec.Networks}
	if c.NetworkSettings.Networks == nil {
		c.NetworkSettings.Networks = map[string]*EndpointSettings{}
	}
	if c.NetworkSettings.Ports == nil {
		c.NetworkSettings.Ports = PortMap{}
	}
	st, err := e.runtimeState(row.ID)
	if err != nil {
		return nil, err
	}
	c.State = toState(st, e.isPaused(row.ID))
	if releasable(c, st) {
		// Ended: it holds no endpoint, whether or not a berth process has
		// released them yet (see netrelease.go).
		shown := rec
		clearEndpoints(&shown)
		c.NetworkSettings.Networks, c.NetworkSettings.Ports = shown.Networks, PortMap{}
		if c.NetworkSettings.Networks == nil {
			c.NetworkSettings.Networks = map[string]*EndpointSettings{}
		}
	}
	c.State.Health = e.health(row.ID, st)
	if rec.Removal != nil && !c.State.Running {
		c.State.Status = StatusRemoving
	}
	c.RestartCount = st.RestartCount
	return c, nil
}

func (e *Engine) lowerDirs(lowers []string) string {
	s := ""
	for i, l := range lowers {
		if i > 0 {
			s += ":"
		}
		s += filepath.Join(e.images.Root(), l)
	}
	return s
}

func (e *Engine) isPaused(id string) bool {
	_, err := os.Stat(filepath.Join(e.containerDir(id), "paused"))
	return err == nil
}

func toState(st *monitor.State, paused bool) State {
	s := State{Status: st.Status, Pid: st.Pid, ExitCode: st.ExitCode, OOMKilled: st.OOMKilled,
		Error: st.Error, StartedAt: zeroTime, FinishedAt: zeroTime}
	if !st.StartedAt.IsZero() {
		s.StartedAt = st.StartedAt.Format(time.RFC3339Nano)
	}
	if !st.FinishedAt.IsZero() {
		s.FinishedAt = st.FinishedAt.Format(time.RFC3339Nano)
	}
	switch st.Status {
	case monitor.StatusRunning:
		s.Running = true
		if paused {
			s.Paused, s.Status = true, monitor.StatusPaused
		}
	case monitor.StatusRestarting:
		s.Running, s.Restarting = true, true
	case monitor.StatusDead:
		s.Dead = true
	}
	return s
}

// runtimeState reads the monitor's state file. A container never started is
// "created". A state that says the container runs while its monitor is gone
// (killed, or the host rebooted) is repaired (see recover).
func (e *Engine) runtimeState(id string) (*monitor.State, error) {
	st, err := monitor.ReadState(e.statePath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return &monitor.State{Status: monitor.StatusCreated}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("container %s state: %w", id, err)
	}
	if !orphaned(st) {
		return st, nil
	}
	return e.recover(id, st)
}

// orphaned reports whether st says a monitor watches the container while
// that monitor is gone.
func orphaned(st *monitor.State) bool {
	switch {
	case st.Status == monitor.StatusExited || st.Status == monitor.StatusDead || st.Alive():
		return false
	case st.Status == monitor.StatusCreated && st.MonitorPid == 0:
		return false
	}
	return true
}

// recover handles a container whose monitor died, for a reader. The repair
// needs the container's lock; a reader never waits for it, and when someone
// holds it (this very process included, in the middle of an operation that
// repairs under the lock itself) the reader is shown the state the repair
// will write.
func (e *Engine) recover(id string, st *monitor.State) (*monitor.State, error) {
	unlock, ok := e.tryLock(id)
	if !ok {
		view := repaired(*st)
		return &view, nil
	}
	defer unlock()
	return e.settle(id)
}

// settle reads the state of container id, whose lock the caller holds, and
// repairs it if its monitor died: the container's init, if still running,
// has no one to collect its exit code or read its output, so it is killed
// and the container marked exited (137).
func (e *Engine) settle(id string) (*monitor.State, error) {
	st, err := monitor.ReadState(e.statePath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return &monitor.State{Status: monitor.StatusCreated}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("container %s state: %w", id, err)
	}
	if !orphaned(st) {
		return st, nil
	}
	if c, err := runner.Load(e.stateRoot(), id); err == nil {
		_ = c.Signal(unix.SIGKILL)
		for i := 0; i < 100; i++ {
			if s, err := c.Status(); err != nil || s.String() == "stopped" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	_ = runner.Destroy(e.stateRoot(), id)
	_ = unix.Unmount(e.rootfs(id), unix.MNT_DETACH)
	os.Remove(filepath.Join(e.containerDir(id), "paused"))
	os.Remove(e.sockPath(id))
	fixed := repaired(*st)
	if err := monitor.WriteJSON(e.statePath(id), &fixed); err != nil {
		return nil, err
	}
	e.emitID("die", id, map[string]string{"exitCode": strconv.Itoa(137)})
	return &fixed, nil
}

// recoveredError is the state's error once recovery stopped a container whose
// monitor died (Boot starts such containers again).
const recoveredError = "monitor process died; container stopped by recovery"

// repaired is st as recovery leaves it.
func repaired(st monitor.State) monitor.State {
	st.Status, st.Pid, st.ExitCode = monitor.StatusExited, 0, 137
	st.Error = recoveredError
	if st.FinishedAt.IsZero() || st.FinishedAt.Before(st.StartedAt) {
		st.FinishedAt = time.Now().UTC()
	}
	return st
}

// lockPoll is how often a lock that is held is tried again.
const lockPoll = 10 * time.Millisecond

// lockPath is the file whose flock guards changes to container id. It lives
// outside the container's directory, so that a removal can delete that
// directory and still hold the lock, and a removal killed halfway can be
// completed later.
func (e *Engine) lockPath(id string) string { return filepath.Join(e.runRoot, "locks", id) }

// lock takes the cross-process lock of container id, waiting as long as it takes.
func (e *Engine) lock(id string) (func(), error) {
	return e.lockCtx(context.Background(), id)
}

// lockCtx takes the cross-process lock of container id, giving up when ctx
// ends. flock locks belong to an open file, so two holders in one process
// exclude each other too.
func (e *Engine) lockCtx(ctx context.Context, id string) (func(), error) {
	f, err := e.openLock(id)
	if err != nil {
		return nil, err
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock container %s: %w", id, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock container %s: %w", id, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// tryLock takes the lock of container id if nobody holds it.
func (e *Engine) tryLock(id string) (func(), bool) {
	f, err := e.openLock(id)
	if err != nil {
		return nil, false
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}

func (e *Engine) openLock(id string) (*os.File, error) {
	p := e.lockPath(id)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(p), 0o700); err == nil {
			f, err = os.OpenFile(p, os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock container %s: %w", id, err)
	}
	return f, nil
}

// lockRow finds a container and takes its lock. The row is read again under
// the lock: a container removed meanwhile is not found.
func (e *Engine) lockRow(ctx context.Context, ref string) (store.Row, func(), error) {
	row, err := e.db.Get(ctx, ref)
	if err != nil {
		return row, nil, err
	}
	unlock, err := e.lockCtx(ctx, row.ID)
	if err != nil {
		return row, nil, err
	}
	if row, err = e.db.Get(ctx, row.ID); err != nil {
		unlock()
		return row, nil, err
	}
	return row, unlock, nil
}

// List returns all containers (all) or the running ones, newest first.
func (e *Engine) List(ctx context.Context, all bool) ([]*Container, error) {
	rows, err := e.db.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Container, 0, len(rows))
	for _, r := range rows {
		c, err := e.load(r)
		if err != nil {
			return nil, err
		}
		if all || c.State.Running {
			out = append(out, c)
		}
	}
	return out, nil
}

// decodeRecord reads a container's stored record.
func decodeRecord(data []byte) (*record, error) {
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, recordError(err)
	}
	return &rec, nil
}

// recordError says why a stored record does not decode, in the record's
// terms rather than json's Go type names.
func recordError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("corrupt container record: not valid JSON at byte %d", se.Offset)
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("corrupt container record: %s holds a JSON %s of the wrong kind", te.Field, te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("corrupt container record: the record is a JSON %s, not an object", te.Value)
	}
	return fmt.Errorf("corrupt container record: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// ImageUsers returns the IDs of containers made from imageID, so that the
// image store never removes an image a container needs.
func (e *Engine) ImageUsers(ctx context.Context, imageID string) ([]string, error) {
	return e.db.UsingImage(ctx, imageID)
}
