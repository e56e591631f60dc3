package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"berth/engine"
)

// Bounds of the exec table: an instance is forgotten execKeep after it
// ended, one never started execUnstartedKeep after it was created, and the
// table holds at most execMax instances.
const (
	execKeep          = 5 * time.Minute
	execUnstartedKeep = 30 * time.Minute
	execMax           = 1024
)

// execTable keeps the exec instances clients created and have not yet seen
// end, as dockerd keeps them.
type execTable struct {
	mu  sync.Mutex
	m   map[string]*execInstance
	now func() time.Time
}

func newExecTable() *execTable { return &execTable{m: map[string]*execInstance{}, now: time.Now} }

// execInstance is one exec: created, then started once, then ended.
type execInstance struct {
	id, containerID string
	cfg             container.ExecCreateRequest
	keys            []byte
	created         time.Time
	resize          chan engine.WinSize // the latest size, for the engine's Exec

	mu       sync.Mutex
	started  bool
	running  bool
	ended    time.Time
	exitCode *int
}

// add keeps a new instance for container containerID, forgetting old ones
// first; a table full of live instances refuses it.
func (t *execTable) add(containerID string, cfg container.ExecCreateRequest, keys []byte) (*execInstance, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pruneLocked()
	if len(t.m) >= execMax {
		return nil, errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("too many exec instances (%d): start or wait for the ones created", execMax))
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("exec ID: %w", err)
	}
	x := &execInstance{id: hex.EncodeToString(b), containerID: containerID, cfg: cfg, keys: keys,
		created: t.now(), resize: make(chan engine.WinSize, 1)}
	t.m[x.id] = x
	return x, nil
}

// pruneLocked forgets instances that ended execKeep ago or were never
// started within execUnstartedKeep.
func (t *execTable) pruneLocked() {
	now := t.now()
	for id, x := range t.m {
		x.mu.Lock()
		old := (!x.ended.IsZero() && now.Sub(x.ended) > execKeep) ||
			(!x.started && now.Sub(x.created) > execUnstartedKeep)
		x.mu.Unlock()
		if old {
			delete(t.m, id)
		}
	}
}

// get finds an instance by its ID or a unique prefix of it.
func (t *execTable) get(ref string) (*execInstance, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pruneLocked()
	if x, ok := t.m[ref]; ok {
		return x, nil
	}
	var found []string
	for id := range t.m {
		if ref != "" && strings.HasPrefix(id, ref) {
			found = append(found, id)
		}
	}
	sort.Strings(found)
	if len(found) == 1 {
		return t.m[found[0]], nil
	}
	return nil, notFound("No such exec instance: %s", ref)
}

// len is the number of instances kept.
func (t *execTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// begin marks the instance started, refusing a second start.
func (x *execInstance) begin() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case x.running:
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s is already running", x.id))
	case x.started:
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s has already run", x.id))
	}
	x.started, x.running = true, true
	return nil
}

// end records the end of the process: its exit code when known (nil when
// the client let go and the process runs on unwatched).
func (x *execInstance) end(code *int, now time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.running, x.exitCode, x.ended = false, code, now
}

// setSize keeps the latest terminal size for the engine to apply.
func (x *execInstance) setSize(ws engine.WinSize) {
	for {
		select {
		case x.resize <- ws:
			return
		default:
		}
		select { // replace a size not yet applied
		case <-x.resize:
		default:
		}
	}
}

// inspect is the instance as the API shows it.
func (x *execInstance) inspect() container.ExecInspectResponse {
	x.mu.Lock()
	defer x.mu.Unlock()
	pc := &container.ExecProcessConfig{Tty: x.cfg.Tty, User: x.cfg.User}
	if len(x.cfg.Cmd) > 0 {
		pc.Entrypoint, pc.Arguments = x.cfg.Cmd[0], append([]string{}, x.cfg.Cmd[1:]...)
	}
	if x.cfg.Privileged {
		p := true
		pc.Privileged = &p
	}
	var code *int
	if x.exitCode != nil {
		c := *x.exitCode
		code = &c
	}
	return container.ExecInspectResponse{ID: x.id, Running: x.running, ExitCode: code, ProcessConfig: pc,
		OpenStdin: x.cfg.AttachStdin, OpenStdout: x.cfg.AttachStdout, OpenStderr: x.cfg.AttachStderr,
		ContainerID: x.containerID, DetachKeys: x.keys}
}

// execRoutes registers the exec endpoints.
func (s *Server) execRoutes() {
	s.handle("POST /containers/{id}/exec", s.execCreate)
	s.handle("POST /exec/{id}/start", s.execStart)
	s.handle("POST /exec/{id}/resize", s.execResize)
	s.handle("GET /exec/{id}/json", s.execInspect)
}
