package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"berth/engine"
	"berth/engine/inspect"
)

// containerRoutes registers the containers endpoints that answer at once
// (attach, logs, stats and exec are the streams' and exec's).
func (s *Server) containerRoutes() {
	s.handle("POST /containers/create", s.createContainer)
	s.handle("GET /containers/json", s.listContainers)
	s.handle("POST /containers/prune", s.pruneContainers)
	s.handle("GET /containers/{id}/json", s.inspectContainer)
	s.handle("POST /containers/{id}/start", s.startContainer)
	s.handle("POST /containers/{id}/stop", s.stopContainer)
	s.handle("POST /containers/{id}/restart", s.restartContainer)
	s.handle("POST /containers/{id}/kill", s.killContainer)
	s.handle("POST /containers/{id}/pause", s.pauseContainer)
	s.handle("POST /containers/{id}/unpause", s.unpauseContainer)
	s.handle("POST /containers/{id}/wait", s.waitContainer)
	s.handle("DELETE /containers/{id}", s.removeContainer)
	s.handle("POST /containers/{id}/rename", s.renameContainer)
	s.handle("POST /containers/{id}/update", s.updateContainer)
	s.containerFSRoutes()
}

// stopOptions reads stop's and restart's t (seconds) and signal.
func stopOptions(r *http.Request) (engine.StopOptions, error) {
	o := engine.StopOptions{Signal: r.URL.Query().Get("signal")}
	if r.URL.Query().Get("t") != "" {
		t, err := intQuery(r, "t", 0)
		if err != nil {
			return o, err
		}
		d := time.Duration(t) * time.Second
		o.Timeout = &d
	}
	if o.Signal != "" {
		if _, err := engine.ParseSignal(o.Signal); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (s *Server) startContainer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if c.State.Running && !c.State.Paused {
		return errdefs.ErrNotModified // 304
	}
	if err := s.eng.Start(r.Context(), c.ID, engine.StartOptions{}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) stopContainer(w http.ResponseWriter, r *http.Request) error {
	o, err := stopOptions(r)
	if err != nil {
		return err
	}
	c, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if !c.State.Running {
		return errdefs.ErrNotModified // 304
	}
	if err := s.eng.Stop(r.Context(), c.ID, o); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) restartContainer(w http.ResponseWriter, r *http.Request) error {
	o, err := stopOptions(r)
	if err != nil {
		return err
	}
	if err := s.eng.Restart(r.Context(), r.PathValue("id"), o); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) killContainer(w http.ResponseWriter, r *http.Request) error {
	sig := r.URL.Query().Get("signal")
	if sig == "" {
		sig = "KILL"
	}
	if _, err := engine.ParseSignal(sig); err != nil {
		return err
	}
	if err := s.eng.Kill(r.Context(), r.PathValue("id"), sig); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) pauseContainer(w http.ResponseWriter, r *http.Request) error {
	if err := s.eng.Pause(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) unpauseContainer(w http.ResponseWriter, r *http.Request) error {
	if err := s.eng.Unpause(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// waitContainer answers as dockerd does: the 200 and its headers go out
// at once, so that a client can start the container after it knows the
// wait is in place (docker run), and the body when the condition holds.
func (s *Server) waitContainer(w http.ResponseWriter, r *http.Request) error {
	cond, err := engine.ParseWaitCondition(r.URL.Query().Get("condition"))
	if err != nil {
		return err
	}
	c, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	code, err := s.eng.WaitFor(r.Context(), c.ID, cond)
	if r.Context().Err() != nil {
		return nil // the client went away: nobody reads the answer
	}
	resp := waitResponse{StatusCode: int64(code)}
	if err != nil {
		resp.Error = &container.WaitExitError{Message: err.Error()}
	}
	_ = json.NewEncoder(w).Encode(resp) // the status went out: an error here has no one to go to
	return nil
}

// waitResponse is dockerd's wait answer, whose Error is null when the wait
// went well (docker-py's Container.wait() hands the dict on: scripts read
// result["Error"]).
type waitResponse struct {
	Error      *container.WaitExitError `json:"Error"`
	StatusCode int64                    `json:"StatusCode"`
}

func (s *Server) removeContainer(w http.ResponseWriter, r *http.Request) error {
	if queryBool(r.URL.Query(), "link") {
		return badRequest("berth has no container links to remove")
	}
	o := engine.RemoveOptions{Force: queryBool(r.URL.Query(), "force"), Volumes: queryBool(r.URL.Query(), "v")}
	if err := s.eng.Remove(r.Context(), r.PathValue("id"), o); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) renameContainer(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimPrefix(r.URL.Query().Get("name"), "/")
	if name == "" {
		return badRequest("rename needs a new name (the name parameter)")
	}
	if err := s.eng.Rename(r.Context(), r.PathValue("id"), name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) inspectContainer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := inspect.ContainerOf(c)
	if queryBool(r.URL.Query(), "size") {
		sz, err := s.eng.Size(r.Context(), c)
		if err != nil {
			return err
		}
		out.SizeRw, out.SizeRootFs = &sz.SizeRw, &sz.SizeRootFs
	}
	return writeJSON(w, http.StatusOK, out)
}
