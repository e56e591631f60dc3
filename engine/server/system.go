package server

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
)

// systemRoutes: ping, version and info.
func (s *Server) systemRoutes() {
	s.handle("GET /_ping", s.ping)
	s.handle("HEAD /_ping", s.ping)
	s.handle("GET /version", s.version)
	s.handle("GET /info", s.info)
	s.handle("POST /auth", s.auth)
}

// ping answers "OK" with the headers clients negotiate their version from.
func (s *Server) ping(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Builder-Version", "1")
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", "0")
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("OK"))
	return err
}

// version answers GET /version with the engine's report and the API range.
func (s *Server) version(w http.ResponseWriter, r *http.Request) error {
	v, err := s.eng.Version(r.Context())
	if err != nil {
		return err
	}
	v.MinAPIVersion = MinAPIVersion
	for i := range v.Components {
		if v.Components[i].Details == nil {
			continue
		}
		if _, ok := v.Components[i].Details["ApiVersion"]; ok {
			v.Components[i].Details["MinAPIVersion"] = MinAPIVersion
		}
	}
	return writeJSON(w, http.StatusOK, v)
}

// info answers GET /info.
func (s *Server) info(w http.ResponseWriter, r *http.Request) error {
	i, err := s.eng.Info(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, i)
}

// auth answers POST /auth: the engine checks the credentials against the
// registry; the client keeps them (docker login writes its config.json).
func (s *Server) auth(w http.ResponseWriter, r *http.Request) error {
	var ac registry.AuthConfig
	if err := readJSON(r, &ac); err != nil {
		return err
	}
	user, pass := ac.Username, ac.Password
	if ac.Auth != "" && user == "" {
		if b, err := base64.StdEncoding.DecodeString(ac.Auth); err == nil {
			user, pass, _ = strings.Cut(string(b), ":")
		}
	}
	if user == "" || pass == "" {
		return badRequest("a login needs a username and a password (berth takes no identity tokens)")
	}
	if err := s.eng.RegistryLogin(r.Context(), ac.ServerAddress, user, pass); err != nil {
		if errdefs.IsPermissionDenied(err) {
			return errdefs.ErrUnauthenticated.WithMessage(err.Error())
		}
		return err
	}
	return writeJSON(w, http.StatusOK, registry.AuthResponse{Status: "Login Succeeded"})
}
