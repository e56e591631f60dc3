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
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/net/websocket"

	"berth/engine"
	"berth/engine/attach"
	"berth/engine/events"
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
	var forget func()
	wake := (<-chan struct{})(nil)
	if a.stream && !c.State.Running { // `docker run` and `start -a` attach first
		wake, forget = s.attaching.add(c.ID)
		defer forget()
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
	s.runAttach(h.ctx, c, a, streams, wake)
	return nil
}

// runAttach replays the log when asked, then (with stream) waits for the
// container to run and pumps its streams. Failures after the connection was
// taken over are told in the stream, as dockerd does.
func (s *Server) runAttach(ctx context.Context, c *engine.Container, a attachRequest, streams engine.IO, wake <-chan struct{}) {
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
		if wake != nil {
			if !s.waitStart(ctx, c.ID, wake) {
				return
			}
			wake = nil
		}
		_, err := s.eng.Attach(ctx, c.ID, engine.AttachOptions{DetachKeys: a.keys}, streams)
		if err == nil || errors.Is(err, engine.ErrDetached) || ctx.Err() != nil || errdefs.IsNotFound(err) {
			return // a container removed meanwhile (run --rm whose start failed) ends the stream quietly
		}
		if !errdefs.IsConflict(err) { // not running (any more): wait for a start
			if out := streams.Stderr; out != nil {
				fmt.Fprintf(out, "Error attaching: %v\n", err)
			}
			return
		}
		var forget func()
		wake, forget = s.attaching.add(c.ID)
		defer forget()
	}
}

// waitStart waits until the container is started through the server (wake)
// or by anyone else (its start event), or ctx ends.
func (s *Server) waitStart(ctx context.Context, id string, wake <-chan struct{}) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evs, _ := s.eng.Subscribe(ctx, events.Filter{Containers: []string{id}, Types: []string{"container"}, Actions: []string{"start"}})
	if c, err := s.eng.Inspect(ctx, id); err == nil && c.State.Running {
		return true // started before the subscription
	}
	select {
	case <-wake:
		return true
	case _, ok := <-evs:
		return ok
	case <-ctx.Done():
		return false
	}
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
	var wake <-chan struct{}
	if a.stream && !c.State.Running {
		var forget func()
		wake, forget = s.attaching.add(c.ID)
		defer forget()
	}
	binary := !versionLess(apiVersion(r), "1.28")
	rec := &hijackRecorder{ResponseWriter: w}
	ws := websocket.Server{
		Handshake: func(*websocket.Config, *http.Request) error { return nil },
		Handler: func(conn *websocket.Conn) {
			if binary {
				conn.PayloadType = websocket.BinaryFrame
			}
			s.serveWebsocket(conn, c, a, wake, rec.conn)
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
func (s *Server) serveWebsocket(conn *websocket.Conn, c *engine.Container, a attachRequest, wake <-chan struct{}, raw net.Conn) {
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
	s.runAttach(ctx, c, a, streams, wake)
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
