package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"berth/engine"
	"berth/engine/opts"
)

// containerFSRoutes registers the endpoints that read or change a
// container's processes and files: top, changes, export, commit, archive
// and prune.
func (s *Server) containerFSRoutes() {
	s.handle("GET /containers/{id}/top", s.topContainer)
	s.handle("GET /containers/{id}/changes", s.containerChanges)
	s.handle("GET /containers/{id}/export", s.exportContainer)
	s.handle("POST /commit", s.commitContainer)
	s.handle("HEAD /containers/{id}/archive", s.statArchive)
	s.handle("GET /containers/{id}/archive", s.getArchive)
	s.handle("PUT /containers/{id}/archive", s.putArchive)
}

// topContainer is GET /containers/{id}/top?ps_args=: the processes in the
// columns ps would give for those options (ps -ef's by default).
func (s *Server) topContainer(w http.ResponseWriter, r *http.Request) error {
	cols, err := opts.ParsePSOptions(strings.Fields(r.URL.Query().Get("ps_args")))
	if err != nil {
		return err
	}
	ps, err := s.eng.Top(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var memTotal uint64
	if h, err := s.eng.HostUsage(r.Context()); err == nil {
		memTotal = h.MemTotal
	}
	titles, rows := cols.Table(ps, time.Now(), memTotal)
	return writeJSON(w, http.StatusOK, container.TopResponse{Titles: titles, Processes: rows})
}

// containerChanges is GET /containers/{id}/changes (docker diff).
func (s *Server) containerChanges(w http.ResponseWriter, r *http.Request) error {
	chs, err := s.eng.Diff(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]container.FilesystemChange, 0, len(chs))
	for _, ch := range chs {
		kind := container.ChangeModify
		switch ch.Kind.String() {
		case "A":
			kind = container.ChangeAdd
		case "D":
			kind = container.ChangeDelete
		}
		out = append(out, container.FilesystemChange{Kind: kind, Path: ch.Path})
	}
	return writeJSON(w, http.StatusOK, out)
}

// exportContainer is GET /containers/{id}/export: the container's
// filesystem as a tar. The container is looked up first, so that a wrong
// name is a 404 and not a broken tar.
func (s *Server) exportContainer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-tar")
	bw := &bodyWriter{ResponseWriter: w}
	return s.afterBody(r, bw, s.eng.Export(r.Context(), c.ID, bw))
}

// bodyWriter notes whether any of the body went out: after that an error
// can no longer be told with a status.
type bodyWriter struct {
	http.ResponseWriter
	wrote bool
}

func (b *bodyWriter) Write(p []byte) (int, error) {
	b.wrote = b.wrote || len(p) > 0
	return b.ResponseWriter.Write(p)
}

// afterBody returns err to be answered as a status while nothing of the
// body went out; after that it cuts the connection, so that the client
// sees a broken stream rather than a short tar that looks whole.
func (s *Server) afterBody(r *http.Request, bw *bodyWriter, err error) error {
	if err == nil || !bw.wrote {
		return err
	}
	if s.log != nil && r.Context().Err() == nil {
		s.log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	panic(http.ErrAbortHandler)
}

// pruneContainers is POST /containers/prune?filters= (until, label, label!).
func (s *Server) pruneContainers(w http.ResponseWriter, r *http.Request) error {
	args, err := filterArgs(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	var vals []string
	for k, vs := range args {
		for _, v := range vs {
			vals = append(vals, k+"="+v)
		}
	}
	f, err := engine.ParsePruneFilters(vals, time.Now())
	if err != nil {
		return err
	}
	rep, err := s.eng.PruneContainers(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, container.PruneReport{ContainersDeleted: rep.ContainersDeleted, SpaceReclaimed: rep.SpaceReclaimed})
}

// pathStatHeader is the header the archive endpoints describe the path in.
const pathStatHeader = "X-Docker-Container-Path-Stat"

// setPathStat sets the path stat header: base64 of the stat's JSON.
func setPathStat(w http.ResponseWriter, st engine.PathStat) error {
	b, err := json.Marshal(container.PathStat{Name: st.Name, Size: st.Size, Mode: st.Mode, Mtime: st.Mtime, LinkTarget: st.LinkTarget})
	if err != nil {
		return err
	}
	w.Header().Set(pathStatHeader, base64.StdEncoding.EncodeToString(b))
	return nil
}

// archivePath is the archive endpoints' path parameter, which must be set.
func archivePath(r *http.Request) (string, error) {
	p := r.URL.Query().Get("path")
	if p == "" {
		return "", badRequest("the path parameter is empty")
	}
	return p, nil
}

// statArchive is HEAD /containers/{id}/archive?path=.
func (s *Server) statArchive(w http.ResponseWriter, r *http.Request) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	st, err := s.eng.StatPath(r.Context(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	if err := setPathStat(w, st); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getArchive is GET /containers/{id}/archive?path=: the path's stat in the
// header, then its tar.
func (s *Server) getArchive(w http.ResponseWriter, r *http.Request) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	st, err := s.eng.StatPath(r.Context(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	if err := setPathStat(w, st); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-tar")
	bw := &bodyWriter{ResponseWriter: w}
	_, err = s.eng.CopyFrom(r.Context(), r.PathValue("id"), p, false, bw)
	return s.afterBody(r, bw, err)
}

// putArchive is PUT /containers/{id}/archive?path=&noOverwriteDirNonDir=&copyUIDGID=:
// the tar body is extracted into the directory path.
func (s *Server) putArchive(w http.ResponseWriter, r *http.Request) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	o := engine.ExtractOptions{NoOverwriteDirNonDir: queryBool(q, "noOverwriteDirNonDir"), CopyUIDGID: queryBool(q, "copyUIDGID")}
	if err := s.eng.ExtractArchive(r.Context(), r.PathValue("id"), p, r.Body, o); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
