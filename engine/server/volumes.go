package server

import (
	"net/http"
	"time"

	"github.com/moby/moby/api/types/volume"

	"berth/engine"
)

// volumeRoutes registers the volumes endpoints.
func (s *Server) volumeRoutes() {
	s.handle("GET /volumes", s.volumeList)
	s.handle("GET /volumes/{name}", s.volumeInspect)
	s.handle("POST /volumes/create", s.volumeCreate)
	s.handle("DELETE /volumes/{name}", s.volumeRemove)
	s.handle("POST /volumes/prune", s.volumePrune)
}

// dockerVolume is a volume in Docker's shape.
func dockerVolume(v *engine.Volume) volume.Volume {
	out := volume.Volume{CreatedAt: v.CreatedAt.Format(time.RFC3339), Driver: v.Driver, Labels: v.Labels,
		Mountpoint: v.Mountpoint, Name: v.Name, Options: map[string]string{}, Scope: "local"}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if out.Driver == "" {
		out.Driver = engine.VolumeDriverLocal
	}
	if len(v.Options) > 0 {
		out.Options = v.Options
	}
	return out
}

// volumeList answers GET /volumes?filters= (dangling, driver, label, name).
func (s *Server) volumeList(w http.ResponseWriter, r *http.Request) error {
	f, err := filterArgs(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	if err := checkFilterKeys(f, "dangling", "driver", "label", "name"); err != nil {
		return err
	}
	vs, err := s.eng.ListVolumes(r.Context(), f)
	if err != nil {
		return err
	}
	out := volume.ListResponse{Volumes: []volume.Volume{}, Warnings: []string{}}
	for i := range vs {
		out.Volumes = append(out.Volumes, dockerVolume(&vs[i]))
	}
	return writeJSON(w, http.StatusOK, out)
}

// volumeInspect answers GET /volumes/{name}.
func (s *Server) volumeInspect(w http.ResponseWriter, r *http.Request) error {
	v, err := s.eng.InspectVolume(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, dockerVolume(v))
}

// volumeCreate answers POST /volumes/create (201 with the volume; an
// existing name answers with that volume, as Docker).
func (s *Server) volumeCreate(w http.ResponseWriter, r *http.Request) error {
	var req volume.CreateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if err := engine.CheckVolumeDriver(req.Name, req.Driver, req.DriverOpts); err != nil {
		return err
	}
	if req.ClusterVolumeSpec != nil {
		return badRequest("cluster volumes are a swarm feature berth does not have")
	}
	if req.Name != "" {
		if err := engine.ValidateVolumeName(req.Name); err != nil {
			return err
		}
	}
	v, err := s.eng.CreateVolume(r.Context(), engine.VolumeCreateOptions{Name: req.Name, Driver: req.Driver, Labels: req.Labels, Options: req.DriverOpts})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, dockerVolume(v))
}

// volumeRemove answers DELETE /volumes/{name}?force=: 204; 409 in use;
// force makes a missing volume no error.
func (s *Server) volumeRemove(w http.ResponseWriter, r *http.Request) error {
	if err := s.eng.RemoveVolume(r.Context(), r.PathValue("name"), queryBool(r.URL.Query(), "force")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// volumePrune answers POST /volumes/prune?filters= (all, label, label!):
// unused anonymous volumes, or every unused one with all=true or an API
// version before 1.42.
func (s *Server) volumePrune(w http.ResponseWriter, r *http.Request) error {
	f, err := filterArgs(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	if _, ok := f["all"]; !ok && versionLess(apiVersion(r), "1.42") {
		f["all"] = []string{"true"} // before 1.42 a prune took named volumes too, as dockerd keeps it for old clients
	}
	names, reclaimed, err := s.eng.PruneVolumes(r.Context(), f)
	if err != nil {
		return err
	}
	if names == nil {
		names = []string{}
	}
	return writeJSON(w, http.StatusOK, volume.PruneReport{VolumesDeleted: names, SpaceReclaimed: reclaimed})
}
