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
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/monitor"
	"berth/engine/runner"
	"berth/engine/store"
)

const zeroTime = "0001-01-01T00:00:00Z"

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
// (killed, or the host rebooted) is repaired: the container is stopped and
// marked exited, so it is never lost nor left running unwatched.
func (e *Engine) runtimeState(id string) (*monitor.State, error) {
	st, err := monitor.ReadState(e.statePath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return &monitor.State{Status: monitor.StatusCreated}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("container %s state: %w", id, err)
	}
	if st.Status == monitor.StatusExited || st.Status == monitor.StatusDead || st.Alive() {
		return st, nil
	}
	if st.Status == monitor.StatusCreated && st.MonitorPid == 0 {
		return st, nil
	}
	return e.recover(id)
}

// recover handles a container whose monitor died. Its init, if still running,
// has no one to collect its exit code or read its output, so it is killed and
// the container marked exited (137), under the container's lock so that two
// processes never both do it.
func (e *Engine) recover(id string) (*monitor.State, error) {
	unlock, err := e.lock(id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err := monitor.ReadState(e.statePath(id))
	if err != nil {
		return nil, fmt.Errorf("container %s state: %w", id, err)
	}
	if st.Status == monitor.StatusExited || st.Alive() {
		return st, nil // someone else repaired it, or a new monitor runs
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
	st.Status, st.Pid, st.ExitCode = monitor.StatusExited, 0, 137
	st.Error = "monitor process died; container stopped by recovery"
	st.FinishedAt = time.Now().UTC()
	if err := monitor.WriteJSON(e.statePath(id), st); err != nil {
		return nil, err
	}
	e.emitID("die", id, map[string]string{"exitCode": strconv.Itoa(137)})
	return st, nil
}

// lock takes the cross-process lock of container id.
func (e *Engine) lock(id string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(e.containerDir(id), "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock container %s: %w", id, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock container %s: %w", id, err)
	}
	return func() { f.Close() }, nil
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
		return nil, fmt.Errorf("corrupt container record: %w", err)
	}
	return &rec, nil
}

// ImageUsers returns the IDs of containers made from imageID, so that the
// image store never removes an image a container needs.
func (e *Engine) ImageUsers(ctx context.Context, imageID string) ([]string, error) {
	return e.db.UsingImage(ctx, imageID)
}
