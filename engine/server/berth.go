package server

import (
	"net/http"

	"berth/images"
	"berth/images/audit"
)

// AuditResponse is GET /berth/image-audit's body: the image audited and
// what the audit found.
type AuditResponse struct {
	Image    *images.Image   `json:"Image"`
	Findings []audit.Finding `json:"Findings"`
}

// berthRoutes are berth's own calls beside the Docker Engine API, under
// /berth/: what berth's remote front end (engine/client) needs and Docker has
// no call for. Docker's clients never ask for them.
func (s *Server) berthRoutes() {
	s.handle("GET /berth/containers/{id}/xray", s.xrayContainer)
	s.handle("GET /berth/host", s.hostUsage)
	s.handle("GET /berth/image-audit", s.auditImage)
	s.handle("POST /berth/check", s.checkRoot)
	s.handle("GET /berth/network-bridges", s.networkBridges)
}

// networkBridges maps each bridge network's ID to its bridge device: Docker's
// inspect names the device of the default network only.
func (s *Server) networkBridges(w http.ResponseWriter, r *http.Request) error {
	ns, err := s.eng.ListNetworks(r.Context(), nil)
	if err != nil {
		return err
	}
	out := map[string]string{}
	for _, n := range ns {
		if n.Bridge != "" {
			out[n.ID] = n.Bridge
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// xrayContainer is the X-ray of a container, as the engine reads it on the
// server's host.
func (s *Server) xrayContainer(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.eng.XRay(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// hostUsage is the server's host CPU and memory counters.
func (s *Server) hostUsage(w http.ResponseWriter, r *http.Request) error {
	h, err := s.eng.HostUsage(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

// auditImage is the best-practice audit of the image named by ?image=.
func (s *Server) auditImage(w http.ResponseWriter, r *http.Request) error {
	ref := r.URL.Query().Get("image")
	if ref == "" {
		return badRequest("no image given: add ?image=NAME")
	}
	img, fs, err := s.eng.AuditImage(r.Context(), ref)
	if err != nil {
		return err
	}
	if fs == nil {
		fs = []audit.Finding{}
	}
	return writeJSON(w, http.StatusOK, AuditResponse{Image: img, Findings: fs})
}

// checkRoot is the consistency check of the engine's data root
// (?repair=1 repairs what it can).
func (s *Server) checkRoot(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.eng.Check(r.Context(), queryBool(r.URL.Query(), "repair"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
