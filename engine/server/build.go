package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	buildtypes "github.com/moby/moby/api/types/build"

	"berth/images/build"
)

// buildRoutes registers the build endpoints: the classic builder's API
// (DOCKER_BUILDKIT=0). berth speaks no BuildKit session.
func (s *Server) buildRoutes() {
	s.handle("POST /build", s.build)
	s.handle("POST /build/prune", s.buildPrune)
	s.handle("POST /session", s.session)
}

// build answers POST /build: the body is the context tar; the stream is the
// classic builder's ("Step 1/3 : FROM busybox", " ---> <id>", ...).
func (s *Server) build(w http.ResponseWriter, r *http.Request) error {
	q := imgQuery(r.URL.Query())
	o, err := buildOptions(q)
	if err != nil {
		return err
	}
	st := newJSONStream(w)
	cs := &classicStream{st: st, quiet: queryBool(url.Values(q), "q")}
	img, err := s.eng.BuildFromTar(r.Context(), r.Body, q.str("dockerfile"), o, cs.event)
	if err != nil {
		// A base image that is not here fails the build in its stream, as
		// the classic builder's failed pull does (docker-py's BuildError).
		if !st.Started() && !errdefs.IsNotFound(err) {
			return err
		}
		var ee *build.ExitError
		if errors.As(err, &ee) && len(ee.Args) > 0 { // the classic builder's words, which clients show
			err = fmt.Errorf("The command '%s' returned a non-zero code: %d", strings.Join(ee.Args, " "), ee.Code)
		}
		cs.send(errorMessage(err))
		return nil
	}
	cs.finish(img.ID, o.Tags)
	return nil
}

// buildOptions reads the query of POST /build into the builder's options,
// refusing what berth cannot do in one sentence.
func buildOptions(q imgQuery) (build.Options, error) {
	o := build.Options{Tags: q.all("t"), Target: q.str("target"), NoCache: queryBool(url.Values(q), "nocache")}
	var err error
	if o.BuildArgs, err = q.jsonMap("buildargs"); err != nil {
		return o, err
	}
	if o.Labels, err = q.jsonMap("labels"); err != nil {
		return o, err
	}
	if err := checkBuildQuery(q); err != nil {
		return o, err
	}
	return o, nil
}

// checkBuildQuery refuses the options of POST /build that berth's builder
// does not have; the resource limits of RUN steps (memory, cpu…, shmsize)
// are taken and not applied, and pull is taken since berth pulls nothing
// during a build.
func checkBuildQuery(q imgQuery) error {
	switch {
	case q.str("remote") != "":
		return badRequest("berth builds from the context in the request body only, not from a remote (git or URL) context")
	case q.str("version") == "2":
		return badRequest("berth has no BuildKit builder: build with DOCKER_BUILDKIT=0 (the classic builder)")
	case queryBool(url.Values(q), "squash"):
		return badRequest("berth does not squash build results")
	case q.str("extrahosts") != "":
		return badRequest("berth's builds take no extra hosts (extrahosts)")
	}
	switch nm := q.str("networkmode"); nm {
	case "", "default", "bridge":
	default:
		return badRequest("berth's RUN steps use the default bridge network, not networkmode %q (use RUN --network)", nm)
	}
	if p := q.str("platform"); p != "" && p != "linux" && !strings.HasPrefix(p, "linux/"+runtime.GOARCH) {
		return badRequest("berth builds for linux/%s only, not for platform %q", runtime.GOARCH, p)
	}
	return nil
}

// buildPrune answers POST /build/prune?all=&filters=: the build cache
// entries no image or container keeps (until, label and label! narrow it).
func (s *Server) buildPrune(w http.ResponseWriter, r *http.Request) error {
	q := imgQuery(r.URL.Query())
	f, err := buildPruneFilters(q.str("filters"), time.Now())
	if err != nil {
		return err
	}
	ids, freed, err := s.eng.PruneBuildCacheWith(r.Context(), queryBool(url.Values(q), "all"), f)
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []string{}
	}
	return writeJSON(w, http.StatusOK, buildtypes.CachePruneReport{CachesDeleted: ids, SpaceReclaimed: uint64(max(freed, 0))})
}

// session answers POST /session: BuildKit's session is not spoken.
func (s *Server) session(w http.ResponseWriter, r *http.Request) error {
	return errdefs.ErrNotImplemented.WithMessage("berth does not speak BuildKit sessions: build with DOCKER_BUILDKIT=0 (the classic builder)")
}
