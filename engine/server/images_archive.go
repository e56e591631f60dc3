package server

import (
	"net/http"
	"strings"

	"github.com/moby/moby/api/types/registry"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageSaveMany answers GET /images/get?names=a&names=b.
func (s *Server) imageSaveMany(w http.ResponseWriter, r *http.Request) error {
	names := imgQuery(r.URL.Query()).all("names")
	if len(names) == 0 {
		return badRequest("give the images to save in the names parameter")
	}
	return s.imageSave(w, r, names)
}

// imageSave writes the images as one `docker save` tar. Every name is
// resolved first, so an unknown one is a 404; a failure after the tar
// began aborts the response, so the client never takes a cut tar for whole.
func (s *Server) imageSave(w http.ResponseWriter, r *http.Request, names []string) error {
	for _, n := range names {
		if _, err := s.eng.InspectImage(r.Context(), n); err != nil {
			return err
		}
	}
	tw := &tarResponse{w: w}
	if err := s.eng.SaveImages(r.Context(), tw, names); err != nil {
		if !tw.started {
			return err
		}
		if s.log != nil {
			s.log.Printf("GET %s: %v", r.URL.Path, err)
		}
		panic(http.ErrAbortHandler)
	}
	if !tw.started {
		tw.start()
	}
	return nil
}

// tarResponse sends the 200 and its headers with the tar's first bytes.
type tarResponse struct {
	w       http.ResponseWriter
	started bool
}

func (t *tarResponse) start() {
	t.started = true
	t.w.Header().Set("Content-Type", "application/x-tar")
	t.w.WriteHeader(http.StatusOK)
}

// Write writes p, starting the response first.
func (t *tarResponse) Write(p []byte) (int, error) {
	if !t.started {
		t.start()
	}
	return t.w.Write(p)
}

// imageLoad answers POST /images/load?quiet=: a `docker save` or OCI tar
// in the body, stored whole or not at all, with a "Loaded image: …" line
// for each image in a JSON stream.
func (s *Server) imageLoad(w http.ResponseWriter, r *http.Request) error {
	st := newJSONStream(w)
	_, err := s.eng.LoadImages(r.Context(), r.Body, func(line string) {
		_ = st.Send(imgMessage{Stream: line + "\n"})
	})
	if err != nil {
		if !st.Started() {
			return err
		}
		_ = st.Send(errorMessage(err))
	}
	st.Start()
	return nil
}

// distributionInspect answers GET /distribution/{name}/json for an image
// this host holds: the descriptor of its stored manifest and its platform
// (berth asks no registry).
func (s *Server) distributionInspect(w http.ResponseWriter, r *http.Request) error {
	name, ok := strings.CutSuffix(r.PathValue("name"), "/json")
	if !ok || name == "" {
		return notFound("page not found")
	}
	_, d, err := s.eng.ImageDescriptor(r.Context(), name)
	if err != nil {
		return err
	}
	out := registry.DistributionInspect{Descriptor: ocispec.Descriptor{MediaType: string(d.MediaType),
		Digest: digest.Digest(d.Digest.String()), Size: d.Size}, Platforms: []ocispec.Platform{}}
	if d.Platform != nil {
		out.Platforms = append(out.Platforms, ocispec.Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture,
			Variant: d.Platform.Variant, OSVersion: d.Platform.OSVersion})
	}
	return writeJSON(w, http.StatusOK, out)
}
