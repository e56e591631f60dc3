package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/image"

	"berth/engine"
)

// imagePrune answers POST /images/prune: dangling images, or every unused
// one with the filter dangling=false (docker image prune -a), narrowed by
// the filters until, label and label! as dockerd's.
func (s *Server) imagePrune(w http.ResponseWriter, r *http.Request) error {
	all, f, err := imagePruneFilters(r.URL.Query().Get("filters"), time.Now())
	if err != nil {
		return err
	}
	resp, freed, err := s.eng.PruneImagesWith(r.Context(), all, f)
	if err != nil {
		return err
	}
	rep := image.PruneReport{SpaceReclaimed: uint64(max(freed, 0))}
	if len(resp) > 0 { // none is null, as dockerd sends it
		rep.ImagesDeleted = deleteResponses(resp)
	}
	return writeJSON(w, http.StatusOK, rep)
}

// imagePruneFilters reads an image prune's filters parameter: whether every
// unused image goes (dangling=false) and the until and label filters.
func imagePruneFilters(raw string, now time.Time) (bool, engine.PruneFilters, error) {
	filters, err := filterArgs(raw)
	if err != nil {
		return false, engine.PruneFilters{}, err
	}
	all := false
	var vals []string
	for k, vs := range filters {
		for _, v := range vs {
			if k != "dangling" {
				vals = append(vals, k+"="+v)
				continue
			}
			switch strings.ToLower(v) {
			case "false", "0":
				all = true
			case "true", "1":
			default:
				return false, engine.PruneFilters{}, badRequest("invalid dangling filter %q: use true or false", v)
			}
		}
	}
	f, err := engine.ParsePruneFilters(vals, now)
	return all, f, err
}

// buildPruneFilters reads a build cache prune's filters parameter: until,
// label and label! (unused-for is until's old name, as dockerd's).
func buildPruneFilters(raw string, now time.Time) (engine.PruneFilters, error) {
	filters, err := filterArgs(raw)
	if err != nil {
		return engine.PruneFilters{}, err
	}
	var vals []string
	for k, vs := range filters {
		if k == "unused-for" {
			k = "until"
		}
		for _, v := range vs {
			vals = append(vals, k+"="+v)
		}
	}
	return engine.ParsePruneFilters(vals, now)
}
