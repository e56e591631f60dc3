package server

import (
	"context"
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
		keys = k
	}
	c, err := s.runningContainer(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	x, err := s.execs.add(c.ID, req, keys)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, container.ExecCreateResponse{ID: x.id})
}

// runningContainer finds a container that can run an exec now.
func (s *Server) runningContainer(ctx context.Context, ref string) (*engine.Container, error) {
	c, err := s.eng.Inspect(ctx, ref)
	if err != nil {
		return nil, err
	}
	switch {
	case !c.State.Running || c.State.Restarting:
		return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not running", strings.TrimPrefix(c.Name, "/")))
	case c.State.Paused:
		return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is paused, unpause the container before exec", strings.TrimPrefix(c.Name, "/")))
	}
	return c, nil
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
	x, err := s.execs.get(r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := s.runningContainer(r.Context(), x.containerID); err != nil {
		return err
	}
	if err := x.begin(); err != nil {
		return err
	}
	if size := req.ConsoleSize; size != nil && size[0] > 0 && size[1] > 0 {
		x.setSize(engine.WinSize{Height: uint16(size[0]), Width: uint16(size[1])})
	} else if size := x.cfg.ConsoleSize; size != nil && size[0] > 0 && size[1] > 0 {
		x.setSize(engine.WinSize{Height: uint16(size[0]), Width: uint16(size[1])})
	}
	o := engine.ExecOptions{Cmd: x.cfg.Cmd, Env: x.cfg.Env, User: x.cfg.User, WorkingDir: x.cfg.WorkingDir,
		Tty: x.cfg.Tty, Interactive: x.cfg.AttachStdin, Privileged: x.cfg.Privileged, DetachKeys: x.keys}
	if req.Detach {
		o.Interactive = false
		done, err := s.track()
		if err != nil {
			return err
		}
		go func() { // the server watches it, to record its exit code
			defer done()
			s.runExec(s.ctx, x, o, engine.IO{Resize: x.resize})
		}()
		w.WriteHeader(http.StatusOK)
		return nil
	}
	h, err := s.hijack(w, r, !x.cfg.Tty)
	if err != nil {
		x.end(nil, s.execs.now())
		return err
	}
	defer h.Close()
	streams := engine.IO{Resize: x.resize}
	if x.cfg.AttachStdin {
		streams.Stdin = h.Stdin
	}
	if x.cfg.AttachStdout {
		streams.Stdout = h.Stdout
	}
	if x.cfg.AttachStderr {
		streams.Stderr = h.Stderr
	}
	done, err := s.track()
	if err != nil {
		if h.Stdout != nil {
			fmt.Fprintf(h.Stdout, "%v\r\n", err)
		}
		x.end(nil, s.execs.now())
		return nil
	}
	defer done()
	if err := s.runExec(h.ctx, x, o, streams); err != nil && h.Stdout != nil {
		fmt.Fprintf(h.Stdout, "%v\r\n", err) // as dockerd tells a failed exec
	}
	return nil
}

// runExec runs the instance's process and records how it ended. The error
// is one the client should read: the process could not start.
func (s *Server) runExec(ctx context.Context, x *execInstance, o engine.ExecOptions, streams engine.IO) error {
	code, err := s.eng.Exec(ctx, x.containerID, o, streams)
	switch {
	case errors.Is(err, engine.ErrDetached) || ctx.Err() != nil:
		x.end(nil, s.execs.now()) // it runs on, unwatched
		return nil
	case err != nil && code < 0:
		x.end(nil, s.execs.now())
		return err
	}
	x.end(&code, s.execs.now())
	return err
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
	x, err := s.execs.get(r.PathValue("id"))
	if err != nil {
		return err
	}
	if in := x.inspect(); !in.Running {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s is not running", x.id))
	}
	if width > 0 && height > 0 {
		x.setSize(engine.WinSize{Width: width, Height: height})
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// execInspect is GET /exec/{id}/json.
func (s *Server) execInspect(w http.ResponseWriter, r *http.Request) error {
	x, err := s.execs.get(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, x.inspect())
}
