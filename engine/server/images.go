package server

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"

	"berth/engine"
	"berth/engine/inspect"
	"berth/images"
)

// imageRoutes registers the images endpoints. Image names hold slashes and
// tags ("localhost:5000/team/app:1"), so the routes that name one take the
// rest of the path and split the action off its end, as dockerd does.
func (s *Server) imageRoutes() {
	s.handle("GET /images/json", s.imageList)
	s.handle("GET /images/search", s.imageSearch)
	s.handle("GET /images/get", s.imageSaveMany)
	s.handle("GET /images/{name...}", s.imageGetRoutes)
	s.handle("POST /images/create", s.imageCreate)
	s.handle("POST /images/load", s.imageLoad)
	s.handle("POST /images/prune", s.imagePrune)
	s.handle("POST /images/{name...}", s.imagePostRoutes)
	s.handle("DELETE /images/{name...}", s.imageDelete)
	s.handle("GET /distribution/{name...}", s.distributionInspect)
}

// imageAction splits "NAME/ACTION" (the rest of the path) into the image's
// name and the action, when the action is one of actions.
func imageAction(rest string, actions ...string) (name, action string) {
	for _, a := range actions {
		if n, ok := strings.CutSuffix(rest, "/"+a); ok && n != "" {
			return n, a
		}
	}
	return rest, ""
}

// imageGetRoutes answers GET /images/{name}/json, /history and /get.
func (s *Server) imageGetRoutes(w http.ResponseWriter, r *http.Request) error {
	name, action := imageAction(r.PathValue("name"), "json", "history", "get")
	switch action {
	case "json":
		return s.imageInspect(w, r, name)
	case "history":
		return s.imageHistory(w, r, name)
	case "get":
		return s.imageSave(w, r, []string{name})
	}
	return notFound("page not found")
}

// imagePostRoutes answers POST /images/{name}/tag and /push.
func (s *Server) imagePostRoutes(w http.ResponseWriter, r *http.Request) error {
	name, action := imageAction(r.PathValue("name"), "tag", "push")
	switch action {
	case "tag":
		return s.imageTag(w, r, name)
	case "push":
		return s.imagePush(w, r, name)
	}
	return notFound("page not found")
}

// imageList answers GET /images/json.
func (s *Server) imageList(w http.ResponseWriter, r *http.Request) error {
	q := imgQuery(r.URL.Query())
	filters, err := filterArgs(q.str("filters"))
	if err != nil {
		return err
	}
	if v := q.str("filter"); v != "" { // API < 1.41: a reference pattern of its own
		filters["reference"] = append(filters["reference"], v)
	}
	list, err := s.eng.ListImages(r.Context(), images.ListOptions{All: queryBool(url.Values(q), "all"), Filters: filters})
	if err != nil {
		return err
	}
	out := make([]image.Summary, 0, len(list))
	for i := range list {
		img := &list[i]
		out = append(out, imageSummary(img, matchingTags(img.RepoTags, filters["reference"])))
	}
	return writeJSON(w, http.StatusOK, out)
}

// imageSummary is an image as GET /images/json lists it, with tags; its
// SharedSize and Containers are -1 (not computed), as dockerd's are.
func imageSummary(img *engine.Image, tags []string) image.Summary {
	labels := img.Config.Config.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return image.Summary{ID: img.ID, ParentID: img.Parent, RepoTags: tags,
		RepoDigests: nonNilStrings(img.RepoDigests), Created: img.Created.Unix(), Size: img.Size,
		SharedSize: -1, Containers: -1, Labels: labels}
}

// matchingTags keeps the tags a reference filter matched, as dockerd lists
// only those (path patterns on "repo" or "repo:tag").
func matchingTags(tags, patterns []string) []string {
	if len(patterns) == 0 {
		return nonNilStrings(tags)
	}
	out := []string{}
	for _, t := range tags {
		repo := t[:max(strings.LastIndex(t, ":"), 0)]
		for _, p := range patterns {
			a, _ := path.Match(p, t)
			b, _ := path.Match(p, repo)
			if a || b {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// imageInspect answers GET /images/{name}/json.
func (s *Server) imageInspect(w http.ResponseWriter, r *http.Request, name string) error {
	img, err := s.eng.InspectImage(r.Context(), name)
	if err != nil {
		return err
	}
	out, err := inspect.ImageOf(img)
	if err != nil {
		return err
	}
	// Docker showed the builder's Container and ContainerConfig until API 1.45
	// (dockerd 20.10 at every version); docker-compose 1.x, which negotiates
	// the newest version, reads ContainerConfig's Volumes when it recreates a
	// container and fails without it. The image's config stands in for the
	// builder's container config.
	legacy := legacyImage{Image: out, ContainerConfig: out.Config, Parent: out.Parent, Comment: out.Comment, Author: out.Author}
	if versionLess(apiVersion(r), "1.44") {
		legacy.VirtualSize = &out.Size
	}
	return writeJSON(w, http.StatusOK, legacy)
}

// legacyImage is image inspect with the fields Docker showed before API
// 1.45: the builder's container, and Parent, Comment, Author and
// DockerVersion present even when empty (dockerd 20.10's shape, which
// scripts index without a default); VirtualSize, the size, before 1.44.
type legacyImage struct {
	inspect.Image
	Container       string `json:"Container"`
	ContainerConfig any    `json:"ContainerConfig"`
	Parent          string `json:"Parent"`
	Comment         string `json:"Comment"`
	Author          string `json:"Author"`
	DockerVersion   string `json:"DockerVersion"`
	VirtualSize     *int64 `json:"VirtualSize,omitempty"`
}

// imageHistory answers GET /images/{name}/history.
func (s *Server) imageHistory(w http.ResponseWriter, r *http.Request, name string) error {
	hist, err := s.eng.ImageHistory(r.Context(), name)
	if err != nil {
		return err
	}
	out := make([]image.HistoryResponseItem, 0, len(hist))
	for _, h := range hist {
		out = append(out, image.HistoryResponseItem{ID: h.ID, Created: h.Created.Unix(), CreatedBy: h.CreatedBy,
			Comment: h.Comment, Size: h.Size, Tags: h.Tags})
	}
	return writeJSON(w, http.StatusOK, out)
}

// imageTag answers POST /images/{name}/tag?repo=&tag=.
func (s *Server) imageTag(w http.ResponseWriter, r *http.Request, name string) error {
	q := imgQuery(r.URL.Query())
	repo, tag := q.str("repo"), q.str("tag")
	if repo == "" {
		return badRequest("the repo parameter is required to tag an image")
	}
	target := repo
	if tag != "" {
		target += ":" + tag
	}
	if err := s.eng.TagImage(r.Context(), name, target); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

// imageDelete answers DELETE /images/{name}?force=&noprune=. berth keeps
// no untagged parents of its own, so noprune changes nothing.
func (s *Server) imageDelete(w http.ResponseWriter, r *http.Request) error {
	q := imgQuery(r.URL.Query())
	resp, err := s.eng.RemoveImage(r.Context(), r.PathValue("name"), queryBool(url.Values(q), "force"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, deleteResponses(resp))
}

func deleteResponses(resp []images.DeleteResponse) []image.DeleteResponse {
	out := make([]image.DeleteResponse, 0, len(resp))
	for _, d := range resp {
		out = append(out, image.DeleteResponse{Untagged: d.Untagged, Deleted: d.Deleted})
	}
	return out
}

// imageSearch answers GET /images/search: berth searches no registry.
func (s *Server) imageSearch(w http.ResponseWriter, r *http.Request) error {
	return errdefs.ErrNotImplemented.WithMessage("berth searches no registry (it works offline): pull an image by its full name instead")
}
