package server

import (
	"github.com/moby/moby/api/types/container"

	"berth/engine"
)

// execRoutes registers the exec endpoints. Exec instances are the engine's
// (engine.ExecInstance, kept in its run root), so one berth process may
// create an instance and another start or inspect it, as `docker` over ssh
// does with one `berth system dial-stdio` per connection.
func (s *Server) execRoutes() {
	s.handle("POST /containers/{id}/exec", s.execCreate)
	s.handle("POST /exec/{id}/start", s.execStart)
	s.handle("POST /exec/{id}/resize", s.execResize)
	s.handle("GET /exec/{id}/json", s.execInspect)
}

// execInspectResponse is an instance as Docker's API shows it.
func execInspectResponse(x *engine.ExecInstance) container.ExecInspectResponse {
	cfg := x.Config
	privileged := cfg.Privileged // shown false too, as dockerd
	pc := &container.ExecProcessConfig{Tty: cfg.Tty, User: cfg.User, Privileged: &privileged}
	if len(cfg.Cmd) > 0 {
		pc.Entrypoint, pc.Arguments = cfg.Cmd[0], append([]string{}, cfg.Cmd[1:]...)
	}
	return container.ExecInspectResponse{ID: x.ID, Running: x.Running, ExitCode: x.ExitCode, ProcessConfig: pc,
		OpenStdin: cfg.Interactive, OpenStdout: cfg.AttachStdout, OpenStderr: cfg.AttachStderr,
		ContainerID: x.ContainerID, DetachKeys: cfg.DetachKeys}
}

// consoleSize is a request's [height, width], when both are set; a size
// beyond a terminal's 65535 cells is refused.
func consoleSize(size *[2]uint) (*engine.WinSize, error) {
	if size == nil || size[0] == 0 || size[1] == 0 {
		return nil, nil
	}
	if size[0] > 65535 || size[1] > 65535 {
		return nil, badRequest("ConsoleSize %dx%d is too large: a terminal has at most 65535 rows and columns", size[0], size[1])
	}
	return &engine.WinSize{Height: uint16(size[0]), Width: uint16(size[1])}, nil
}
