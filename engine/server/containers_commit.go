package server

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

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
	changes, err := configChanges(&cfg)
	if err != nil {
		return err
	}
	o := engine.CommitOptions{Comment: q.Get("comment"), Author: q.Get("author"),
		Changes: append(q["changes"], changes...), Pause: q.Get("pause") == "" || queryBool(r.URL.Query(), "pause")}
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

// configChanges turns the set fields of a commit's config into the
// Dockerfile instructions commit --change takes; a set field no such
// instruction can carry is refused.
func configChanges(c *container.Config) ([]string, error) {
	if err := unsupported("Config", []setField{
		{"Hostname", c.Hostname != ""}, {"Domainname", c.Domainname != ""},
		{"Healthcheck", c.Healthcheck != nil}, {"OnBuild", len(c.OnBuild) > 0},
		{"Shell", len(c.Shell) > 0}, {"StopTimeout", c.StopTimeout != nil},
		{"Tty", c.Tty}, {"OpenStdin", c.OpenStdin}, {"StdinOnce", c.StdinOnce},
	}); err != nil {
		return nil, err
	}
	var out []string
	jsonForm := func(verb string, v []string) {
		b, _ := json.Marshal(v)
		out = append(out, verb+" "+string(b))
	}
	if c.Cmd != nil {
		jsonForm("CMD", c.Cmd)
	}
	if c.Entrypoint != nil {
		jsonForm("ENTRYPOINT", c.Entrypoint)
	}
	if len(c.Volumes) > 0 {
		jsonForm("VOLUME", slices.Sorted(maps.Keys(c.Volumes)))
	}
	for _, kv := range [][2]string{{"USER", c.User}, {"WORKDIR", c.WorkingDir}, {"STOPSIGNAL", c.StopSignal}} {
		if kv[1] != "" {
			out = append(out, kv[0]+" "+kv[1])
		}
	}
	for p := range c.ExposedPorts {
		out = append(out, "EXPOSE "+p.String())
	}
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		q, err := quoteChange("Config.Env", k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, "ENV "+q)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
		q, err := quoteChange("Config.Labels", k, c.Labels[k])
		if err != nil {
			return nil, err
		}
		out = append(out, "LABEL "+q)
	}
	return out, nil
}

// quoteChange writes key=value for an ENV or LABEL change.
func quoteChange(field, k, v string) (string, error) {
	switch {
	case k == "" || strings.ContainsAny(k, " \t\n=\"'"):
		return "", badRequest("%s holds the key %q, which a commit cannot set", field, k)
	case strings.ContainsAny(v, "\n\r") || strings.Contains(v, `"`) && strings.Contains(v, "'"):
		return "", badRequest("%s holds a value for %s that a commit cannot set", field, k)
	case strings.Contains(v, `"`):
		return k + "='" + v + "'", nil
	}
	return k + `="` + v + `"`, nil
}
