package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/monitor"
)

// Bounds of the exec instances kept in the run root: one is forgotten
// execKeep after it ended, one never started execUnstartedKeep after it was
// created, and at most execMax are kept.
const (
	execKeep          = 5 * time.Minute
	execUnstartedKeep = 30 * time.Minute
	execMax           = 1024
)

// ExecConfig is an exec instance's configuration: Docker's exec create.
// ExecOptions.Interactive is AttachStdin; Detach is chosen at start.
type ExecConfig struct {
	ExecOptions
	AttachStdout, AttachStderr bool
	// ConsoleSize is the terminal's first size, when known at create.
	ConsoleSize *WinSize `json:",omitempty"`
}

// ExecInstance is an exec instance as Docker's exec inspect shows it. It
// lives in the run root, so that one berth process may create it, another
// start it and a third read its exit code (docker over ssh runs `berth
// system dial-stdio` once per connection).
type ExecInstance struct {
	ID          string
	ContainerID string
	Config      ExecConfig
	Created     time.Time
	// Started says a start was asked for; Running that its process runs,
	// watched by the berth process Owner.
	Started, Running bool
	Owner            int `json:",omitempty"`
	// ExitCode is set once the process was seen to exit.
	ExitCode *int      `json:",omitempty"`
	Ended    time.Time `json:",omitempty"`
}

func (e *Engine) execDir() string              { return filepath.Join(e.runRoot, "execs") }
func (e *Engine) execPath(id string) string    { return filepath.Join(e.execDir(), id+".json") }
func (e *Engine) execStarted(id string) string { return filepath.Join(e.execDir(), id+".started") }
func (e *Engine) execSockPath(id string) string {
	return filepath.Join(e.sockDir(), "x"+id[:12]+".sock")
}

// ExecCreate records an exec instance of a running container; ExecStart
// runs it, in this process or another.
func (e *Engine) ExecCreate(ctx context.Context, ref string, cfg ExecConfig) (string, error) {
	if len(cfg.Cmd) == 0 {
		return "", errdefs.ErrInvalidArgument.WithMessage("No exec command specified")
	}
	c, err := e.runningForExec(ctx, ref)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(e.execDir(), 0o700); err != nil {
		return "", fmt.Errorf("exec instances: %w", err)
	}
	if n := e.pruneExecs(); n >= execMax {
		return "", errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("too many exec instances (%d): start or wait for the ones created", execMax))
	}
	cfg.Detach = false
	x := ExecInstance{ID: newID(), ContainerID: c.ID, Config: cfg, Created: time.Now().UTC()}
	if err := monitor.WriteJSON(e.execPath(x.ID), &x); err != nil {
		return "", fmt.Errorf("exec instance: %w", err)
	}
	e.emit("exec_create", c, map[string]string{"execID": x.ID, "exec": strings.Join(cfg.Cmd, " ")})
	return x.ID, nil
}

// runningForExec finds a container that can run an exec now.
func (e *Engine) runningForExec(ctx context.Context, ref string) (*Container, error) {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return nil, err
	}
	switch {
	case !c.State.Running || c.State.Restarting:
		return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not running", c.Name[1:]))
	case c.State.Paused:
		return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is paused, unpause the container before exec", c.Name[1:]))
	}
	return c, nil
}

// ExecInspect reads an exec instance by its ID or a unique prefix of it. An
// instance whose watching process died is no longer running, its exit code
// unknown.
func (e *Engine) ExecInspect(ctx context.Context, ref string) (*ExecInstance, error) {
	id, err := e.execID(ref)
	if err != nil {
		return nil, err
	}
	var x ExecInstance
	b, err := os.ReadFile(e.execPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errdefs.ErrNotFound.WithMessage("No such exec instance: " + ref)
	}
	if err != nil {
		return nil, fmt.Errorf("exec instance %s: %w", ref, err)
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, fmt.Errorf("exec instance %s: %w", ref, err)
	}
	if x.Running && !processAlive(x.Owner) {
		x.Running = false
	}
	return &x, nil
}

// execID resolves an exec ID or a unique prefix of one.
func (e *Engine) execID(ref string) (string, error) {
	if len(ref) == 64 && !strings.ContainsAny(ref, "/.") {
		return ref, nil
	}
	entries, _ := os.ReadDir(e.execDir())
	var found []string
	for _, ent := range entries {
		if id, ok := strings.CutSuffix(ent.Name(), ".json"); ok && ref != "" && strings.HasPrefix(id, ref) {
			found = append(found, id)
		}
	}
	sort.Strings(found)
	if len(found) != 1 {
		return "", errdefs.ErrNotFound.WithMessage("No such exec instance: " + ref)
	}
	return found[0], nil
}

// pruneExecs forgets old instances (see execKeep) and counts those kept.
func (e *Engine) pruneExecs() int {
	entries, _ := os.ReadDir(e.execDir())
	now, n := time.Now(), 0
	for _, ent := range entries {
		id, ok := strings.CutSuffix(ent.Name(), ".json")
		if !ok {
			continue
		}
		x, err := e.ExecInspect(context.Background(), id)
		if err != nil {
			continue
		}
		at := x.Ended
		if at.IsZero() {
			at = x.Created
		}
		if (x.Started && !x.Running && now.Sub(at) > execKeep) || (!x.Started && now.Sub(x.Created) > execUnstartedKeep) {
			os.Remove(e.execPath(id))
			os.Remove(e.execStarted(id))
			continue
		}
		n++
	}
	return n
}

// processAlive says whether process pid exists.
func processAlive(pid int) bool {
	return pid > 0 && unix.Kill(pid, 0) != unix.ESRCH
}
