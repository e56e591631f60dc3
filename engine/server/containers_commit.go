package server

import (
	"net/http"

	"github.com/moby/moby/api/types/container"

	"berth/engine"
)

// commitContainer is POST /commit?container=&repo=&tag=&comment=&author=
// &changes=&pause=, with an optional container.Config body whose set
// fields are laid over the new image's config.
func (s *Server) commitContainer(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ref := q.Get("container")
	if ref == "" {
		return badRequest("commit needs a container (the container parameter)")
	}
	var cfg container.Config
	if err := readJSON(r, &cfg); err != nil {
		return err
	}
	overlay, err := commitConfig(&cfg)
	if err != nil {
		return err
	}
	o := engine.CommitOptions{Comment: q.Get("comment"), Author: q.Get("author"),
		Changes: q["changes"], Config: overlay, Pause: q.Get("pause") == "" || queryBool(r.URL.Query(), "pause")}
	if repo := q.Get("repo"); repo != "" {
		o.Reference = repo
		if tag := q.Get("tag"); tag != "" {
			o.Reference += ":" + tag
		}
	} else if q.Get("tag") != "" {
		return badRequest("a tag needs a repository (the repo parameter)")
	}
	img, err := s.eng.Commit(r.Context(), ref, o)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, container.CommitResponse{ID: img.ID})
}

// commitConfig is a commit's config body in the engine's terms, laid over
// the container's config by the engine (engine.CommitOptions.Config); what
// an image config cannot carry is refused.
func commitConfig(c *container.Config) (*engine.Config, error) {
	if err := unsupported("Config", []setField{{"StopTimeout", c.StopTimeout != nil}}); err != nil {
		return nil, err
	}
	var o engine.CreateOptions
	if err := configOptions(c, &o); err != nil {
		return nil, err
	}
	if len(c.Entrypoint) == 0 { // an empty entrypoint sets none, as dockerd's merge
		o.Config.Entrypoint = nil
	}
	return &o.Config, nil
}
