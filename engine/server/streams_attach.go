package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/net/websocket"

	"berth/engine"
	"berth/engine/attach"
	"berth/engine/logfile"
)

// attachRequest is what an attach asks for, read from its query.
type attachRequest struct {
	stream, stdin, stdout, stderr, logs bool
	keys                                []byte
}

func parseAttach(r *http.Request) (attachRequest, error) {
	q := r.URL.Query()
	a := attachRequest{stream: queryBool(q, "stream"), stdin: queryBool(q, "stdin"),
		stdout: queryBool(q, "stdout"), stderr: queryBool(q, "stderr"), logs: queryBool(q, "logs")}
	keys := q.Get("detachKeys")
	if keys == "" {
		keys = attach.DefaultDetachKeys
	}
	k, err := attach.ParseDetachKeys(keys)
	if err != nil {
		return a, badRequest("invalid detachKeys %q: %v", keys, err)
	}
	a.keys = k
	return a, nil
}

// detachKeys are the keys an attach to c watches for: none without a TTY,
// as in Docker, where the input of a client without one is data (a piped
// tar or random bytes may hold ctrl+p ctrl+q).
func detachKeys(c *engine.Container, keys []byte) []byte {
	if !c.Config.Tty {
		return nil
	}
	return keys
}

// attachable finds the container and refuses one that cannot be attached
// to now (paused or restarting), as dockerd does.
func (s *Server) attachable(ctx context.Context, id string) (*engine.Container, error) {
	c, err := s.eng.Inspect(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case c.State.Paused:
		return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is paused, unpause the container before attach", strings.TrimPrefix(c.Name, "/")))
	case c.State.Restarting:
		return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is restarting, wait until the container is running", strings.TrimPrefix(c.Name, "/")))
	}
	return c, nil
}

// attachContainer is POST /containers/{id}/attach: the connection is taken
// over and carries the container's streams (multiplexed unless it has a
// TTY) until it exits, the client detaches or hangs up.
func (s *Server) attachContainer(w http.ResponseWriter, r *http.Request) error {
	a, err := parseAttach(r)
	if err != nil {
		return err
	}
	c, err := s.attachable(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var wait *startWait
	if a.stream && !c.State.Running { // `docker run` and `start -a` attach first
		if wait, err = s.awaitStart(r.Context(), c.ID); err != nil {
			return err
		}
		defer wait.release()
	}
	h, err := s.hijack(w, r, !c.Config.Tty)
	if err != nil {
		return err
	}
	defer h.Close()
	streams := engine.IO{}
	if a.stdin && c.Config.OpenStdin {
		streams.Stdin = h.Stdin
	}
	if a.stdout {
		streams.Stdout = h.Stdout
	}
	if a.stderr {
		streams.Stderr = h.Stderr
	}
	s.runAttach(h.ctx, c, a, streams, wait)
	return nil
}

// runAttach replays the log when asked, then (with stream) waits for the
// container to run and pumps its streams. Failures after the connection was
// taken over are told in the stream, as dockerd does.
func (s *Server) runAttach(ctx context.Context, c *engine.Container, a attachRequest, streams engine.IO, wait *startWait) {
	done, err := s.track()
	if err != nil {
		fmt.Fprintf(streams.Stdout, "%v\r\n", err)
		return
	}
	defer done()
	if a.logs {
		if err := s.replayLogs(ctx, c.ID, streams); err != nil {
			return
		}
	}
	if !a.stream {
		return
	}
	for {
		if wait != nil {
			if !wait.wait(ctx) {
				return
			}
			wait.release()
			wait = nil
		}
		_, err := s.eng.Attach(ctx, c.ID, engine.AttachOptions{DetachKeys: detachKeys(c, a.keys)}, streams)
		if err == nil || errors.Is(err, engine.ErrDetached) || ctx.Err() != nil || errdefs.IsNotFound(err) {
			return // a container removed meanwhile (run --rm whose start failed) ends the stream quietly
		}
		if !errdefs.IsConflict(err) { // not running (any more): wait for a start
			if out := streams.Stderr; out != nil {
				fmt.Fprintf(out, "Error attaching: %v\n", err)
			}
			return
		}
		if wait, err = s.awaitStart(ctx, c.ID); err != nil {
			return
		}
		defer wait.release()
	}
}

// startWait is an attach request waiting for its container to start:
// through this server (wake, at once) or by anyone on the root (started,
// from the engine's record, which also has any start hold the process).
type startWait struct {
	wake, started <-chan struct{}
	forget, done  func()
	once          sync.Once
}

// awaitStart registers an attach request that waits for container id's
// start, before its connection is taken over (the client starts it next).
func (s *Server) awaitStart(ctx context.Context, id string) (*startWait, error) {
	started, done, err := s.eng.AwaitStart(ctx, id)
	if err != nil {
		return nil, err
	}
	w := &startWait{started: started, done: done}
	w.wake, w.forget = s.attaching.add(id)
	return w, nil
}

// wait waits until the container starts or ctx ends.
func (w *startWait) wait(ctx context.Context) bool {
	select {
	case <-w.wake:
		return true
	case <-w.started:
		return true
	case <-ctx.Done():
		return false
	}
}

// release forgets the request (more than once is once).
func (w *startWait) release() {
	w.once.Do(func() { w.forget(); w.done() })
}

// replayLogs writes the container's whole log to the attached streams.
func (s *Server) replayLogs(ctx context.Context, id string, streams engine.IO) error {
	ents, errs, err := s.eng.Logs(ctx, id, logfile.ReadOptions{Tail: -1})
	if err != nil {
		return err
	}
	for e := range ents {
		w := streams.Stdout
		if e.Stream == "stderr" {
			w = streams.Stderr
		}
		if w != nil {
			if _, err := w.Write(e.Line); err != nil {
				go drain(ents)
				return err
			}
		}
	}
	for err := range errs {
		var corrupt *logfile.CorruptLineError
		if !errors.As(err, &corrupt) {
			return err
		}
	}
	return nil
}

// drain reads a log stream to its end (its reader stops with the context).
func drain(ents <-chan logfile.Entry) {
	for range ents {
	}
}

// attachWebsocket is GET /containers/{id}/attach/ws: the container's
// streams over a websocket, raw (never multiplexed), in binary frames from
// API 1.28 on.
func (s *Server) attachWebsocket(w http.ResponseWriter, r *http.Request) error {
	a, err := parseAttach(r)
	if err != nil {
		return err
	}
	c, err := s.attachable(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var wait *startWait
	if a.stream && !c.State.Running {
		if wait, err = s.awaitStart(r.Context(), c.ID); err != nil {
			return err
		}
		defer wait.release()
	}
	binary := !versionLess(apiVersion(r), "1.28")
	rec := &hijackRecorder{ResponseWriter: w}
	ws := websocket.Server{
		Handshake: func(*websocket.Config, *http.Request) error { return nil },
		Handler: func(conn *websocket.Conn) {
			if binary {
				conn.PayloadType = websocket.BinaryFrame
			}
			s.serveWebsocket(conn, c, a, wait, rec.conn)
		},
	}
	ws.ServeHTTP(rec, r)
	return nil
}

// hijackRecorder is a ResponseWriter whose Hijack keeps the connection the
// websocket runs on, so that its end can be watched while nothing reads it.
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

// Hijack takes the connection over, keeping it.
func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("the connection cannot be taken over for a websocket")
	}
	conn, brw, err := hj.Hijack()
	h.conn = conn
	return conn, brw, err
}

// serveWebsocket pumps one websocket attach; the client closing the socket
// ends it, also while the attach waits for its container to start and
// nothing reads the socket (raw is the connection under it, watched for a
// hang-up).
func (s *Server) serveWebsocket(conn *websocket.Conn, c *engine.Container, a attachRequest, wait *startWait, raw net.Conn) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	if raw != nil {
		defer watchHangup(raw, cancel)()
	}
	out := &lockedWriter{w: conn}
	streams := engine.IO{}
	if a.stdout {
		streams.Stdout = out
	}
	if a.stderr {
		streams.Stderr = out
	}
	in := &wsInput{conn: conn, gone: cancel}
	if a.stdin && c.Config.OpenStdin {
		streams.Stdin = in
	} else { // still read, to see the client go
		done := make(chan struct{})
		go func() { defer close(done); readAll(in) }()
		defer func() { <-done }()
		defer conn.Close()
	}
	s.runAttach(ctx, c, a, streams, wait)
}

// wsInput reads a websocket's messages as the client's input; the socket
// failing (the client left) ends the attach.
type wsInput struct {
	conn *websocket.Conn
	gone func()
}

func (w *wsInput) Read(p []byte) (int, error) {
	n, err := w.conn.Read(p)
	if err != nil && !isTimeout(err) {
		w.gone()
	}
	return n, err
}

// SetReadDeadline lets the engine stop reading the socket.
func (w *wsInput) SetReadDeadline(t time.Time) error { return w.conn.SetReadDeadline(t) }

func readAll(r interface{ Read([]byte) (int, error) }) {
	buf := make([]byte, 4096)
	for {
		if _, err := r.Read(buf); err != nil {
			return
		}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// resizeContainer is POST /containers/{id}/resize?h=&w=.
func (s *Server) resizeContainer(w http.ResponseWriter, r *http.Request) error {
	height, err := resizeDim(r, "h")
	if err != nil {
		return err
	}
	width, err := resizeDim(r, "w")
	if err != nil {
		return err
	}
	if err := s.eng.Resize(r.Context(), r.PathValue("id"), width, height); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// resizeDim reads the h or w parameter of a resize.
func resizeDim(r *http.Request, key string) (uint16, error) {
	v := r.URL.Query().Get(key)
	n, err := strconv.ParseUint(v, 10, 16)
	if err != nil {
		return 0, badRequest("the %s parameter must be a number of cells from 0 to 65535, not %q", key, v)
	}
	return uint16(n), nil
}
