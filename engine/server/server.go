// Package server answers the Docker Engine API over an api.Engine: the real
// docker CLI, docker-py and docker-compose drive berth through it. Every
// handler is a thin adapter from the API's wire shapes (the types of
// github.com/moby/moby/api) onto the engine's interface; the server keeps no
// state of its own that a CLI process on the same data root could not see,
// except the exec instances a client creates and then starts, as dockerd does.
package server

import (
	"context"
	"log"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"berth/engine"
	"berth/engine/api"

	"github.com/containerd/errdefs"
)

// MinAPIVersion is the oldest Docker Engine API version the server accepts.
const MinAPIVersion = "1.24"

// maxBody bounds the JSON bodies the server decodes (tar bodies stream).
const maxBody = 4 << 20

// Options configure a Server.
type Options struct {
	// Log receives one line per failed request; nil discards them.
	Log *log.Logger
}

// Server is the Docker Engine API over an engine.
type Server struct {
	eng api.Engine
	log *log.Logger
	mux *http.ServeMux
	// attaching are the attach requests waiting for their container to start.
	attaching *attachWaiters

	// ctx ends when the server closes, ending streams (events, logs, stats).
	ctx    context.Context
	cancel context.CancelFunc
	// mu guards closed; wg counts the streams running, which Close waits
	// for. A stream starts only through track, which refuses once closed.
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// New returns a server over eng.
func New(eng api.Engine, o Options) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{eng: eng, log: o.Log, mux: http.NewServeMux(), ctx: ctx, cancel: cancel}
	s.systemRoutes()
	s.containerRoutes()
	s.streamRoutes()
	s.execRoutes()
	s.imageRoutes()
	s.buildRoutes()
	s.networkRoutes()
	s.volumeRoutes()
	s.eventRoutes()
	s.diskUsageRoutes()
	s.berthRoutes()
	return s
}

// Handler returns the HTTP handler: API version prefix handling around the
// routes.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Serve answers requests on l until Close; it returns nil after Close.
func (s *Server) Serve(l net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 30 * time.Second,
		BaseContext: func(net.Listener) context.Context { return s.ctx }}
	go func() { <-s.ctx.Done(); hs.Close() }()
	err := hs.Serve(l)
	if s.ctx.Err() != nil {
		return nil
	}
	return err
}

// Close ends every stream the server runs and waits for their handlers.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// track counts a stream that Close must wait for; it fails once the server
// is closing. done ends the count.
func (s *Server) track() (done func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errdefs.ErrUnavailable.WithMessage("the server is shutting down")
	}
	s.wg.Add(1)
	return s.wg.Done, nil
}

var versionPrefix = regexp.MustCompile(`^/v(\d+\.\d+)(/.*)$`)

type versionKey struct{}

// serveHTTP strips the /vX.Y prefix, refuses versions the server does not
// speak, stamps the headers Docker's clients read, and routes.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	version := engine.APIVersion
	if m := versionPrefix.FindStringSubmatch(r.URL.Path); m != nil {
		version = m[1]
		if versionLess(engine.APIVersion, version) {
			s.fail(w, r, badRequest("client version %s is too new. Maximum supported API version is %s", version, engine.APIVersion))
			return
		}
		if versionLess(version, MinAPIVersion) {
			s.fail(w, r, badRequest("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", version, MinAPIVersion))
			return
		}
		r.URL.Path = m[2]
		r.URL.RawPath = ""
	}
	w.Header().Set("Api-Version", engine.APIVersion)
	w.Header().Set("Server", "Docker/"+engine.BuildInfo().Version+" (linux)")
	w.Header().Set("Docker-Experimental", "false")
	w.Header().Set("Ostype", "linux")
	r = r.WithContext(context.WithValue(r.Context(), versionKey{}, version))
	s.mux.ServeHTTP(w, r)
}

// apiVersion is the API version the request was made in.
func apiVersion(r *http.Request) string {
	v, _ := r.Context().Value(versionKey{}).(string)
	return v
}

// versionLess says whether API version a is older than b.
func versionLess(a, b string) bool {
	as, bs := strings.SplitN(a, ".", 2), strings.SplitN(b, ".", 2)
	if len(as) != 2 || len(bs) != 2 {
		return a < b
	}
	if an, bn := atoi(as[0]), atoi(bs[0]); an != bn {
		return an < bn
	}
	return atoi(as[1]) < atoi(bs[1])
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// handle registers a route ("GET /containers/{id}/json").
func (s *Server) handle(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}
