package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"berth/engine"
	"berth/engine/attach"
)

// execCreate is POST /containers/{id}/exec: an exec instance of a running
// container, kept until it is started and some time after it ends.
func (s *Server) execCreate(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecCreateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if len(req.Cmd) == 0 {
		return badRequest("No exec command specified")
	}
	var keys []byte
	if req.DetachKeys != "" {
		k, err := attach.ParseDetachKeys(req.DetachKeys)
		if err != nil {
			return badRequest("invalid DetachKeys %q: %v", req.DetachKeys, err)
		}
		if req.Tty { // without a TTY the input is data, as in Docker
			keys = k
		}
	}
	size, err := consoleSize(req.ConsoleSize)
	if err != nil {
		return err
	}
	cfg := engine.ExecConfig{ExecOptions: engine.ExecOptions{Cmd: req.Cmd, Env: req.Env, User: req.User,
		WorkingDir: req.WorkingDir, Tty: req.Tty, Interactive: req.AttachStdin, Privileged: req.Privileged,
		DetachKeys: keys}, AttachStdout: req.AttachStdout, AttachStderr: req.AttachStderr,
		ConsoleSize: size}
	id, err := s.eng.ExecCreate(r.Context(), r.PathValue("id"), cfg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, container.ExecCreateResponse{ID: id})
}

// execStart is POST /exec/{id}/start: detached, the process is started and
// the request answered at once; otherwise the connection is taken over as
// for attach and carries the process's streams until it exits, and its exit
// code is recorded before the connection closes (the docker CLI reads it
// from /exec/{id}/json once the stream ends).
func (s *Server) execStart(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecStartRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	x, err := s.eng.ExecInspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if x.Started {
		if x.Running {
			return errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s is already running", x.ID))
		}
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s has already run", x.ID))
	}
	if c, err := s.eng.Inspect(r.Context(), x.ContainerID); err != nil {
		return err
	} else if !c.State.Running || c.State.Restarting || c.State.Paused {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not running", strings.TrimPrefix(c.Name, "/")))
	}
	size, err := consoleSize(req.ConsoleSize)
	if err != nil {
		return err
	}
	so := engine.ExecStartOptions{ConsoleSize: size, Detach: req.Detach}
	if req.Detach { // started, then watched by this process while it lives
		if _, err := s.eng.ExecStart(s.ctx, x.ID, so, engine.IO{}); err != nil {
			if errors.Is(err, engine.ErrExecNotStarted) { // a 400 in containerd's words, as dockerd 20.10
				return errdefs.ErrInvalidArgument.WithMessage(execStartText(err))
			}
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	h, err := s.hijack(w, r, !x.Config.Tty)
	if err != nil {
		return err
	}
	defer h.Close()
	var streams engine.IO
	if x.Config.Interactive {
		streams.Stdin = h.Stdin
	}
	if x.Config.AttachStdout {
		streams.Stdout = h.Stdout
	}
	if x.Config.AttachStderr {
		streams.Stderr = h.Stderr
	}
	done, err := s.track()
	if err != nil {
		if h.Stdout != nil {
			fmt.Fprintf(h.Stdout, "%v\r\n", err)
		}
		return nil
	}
	defer done()
	if _, err := s.eng.ExecStart(h.ctx, x.ID, so, streams); err != nil && h.Stdout != nil {
		fmt.Fprintf(h.Stdout, "%s\r\n", execStartText(err)) // as dockerd tells a failed exec
	}
	return nil
}

// execStartText is the line dockerd 20.10 writes on an exec's stream when
// it failed: a command that could not start in containerd's words ("OCI
// runtime exec failed: exec failed: ...: unknown"), other errors as they are.
func execStartText(err error) string {
	if errors.Is(err, engine.ErrExecNotStarted) {
		return "OCI runtime exec failed: " + err.Error() + ": unknown"
	}
	return err.Error()
}

// execResize is POST /exec/{id}/resize?h=&w=: the size of a running exec's
// terminal.
func (s *Server) execResize(w http.ResponseWriter, r *http.Request) error {
	height, err := resizeDim(r, "h")
	if err != nil {
		return err
	}
	width, err := resizeDim(r, "w")
	if err != nil {
		return err
	}
	if err := s.eng.ExecResize(r.Context(), r.PathValue("id"), engine.WinSize{Width: width, Height: height}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// execInspect is GET /exec/{id}/json.
func (s *Server) execInspect(w http.ResponseWriter, r *http.Request) error {
	x, err := s.eng.ExecInspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, execInspectResponse(x))
}
