package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Media types of the attach, exec and logs streams.
const (
	rawStream         = "application/vnd.docker.raw-stream"
	multiplexedStream = "application/vnd.docker.multiplexed-stream"
)

// hijacked is the connection of an attach or exec start once the server let
// go of it: the client's input (Stdin), the writers of the two output
// streams, and a context that ends when the client hangs up.
type hijacked struct {
	conn   net.Conn
	Stdin  *connInput
	Stdout io.Writer
	Stderr io.Writer
	ctx    context.Context
	cancel context.CancelFunc
	stop   func() // ends the hang-up watch
}

// hijack takes the connection over as dockerd does: a client that asked to
// upgrade (Connection: Upgrade, Upgrade: tcp) gets 101 UPGRADED, any other
// 200 OK; the content type is the multiplexed stream only for an upgraded
// connection of API 1.42 or later whose output is multiplexed (no TTY).
// Output is framed with stdcopy headers when multiplexed is true.
func (s *Server) hijack(w http.ResponseWriter, r *http.Request, multiplexed bool) (*hijacked, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, fmt.Errorf("the connection cannot be taken over for a stream")
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, fmt.Errorf("take over the connection: %w", err)
	}
	upgrade := strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") &&
		strings.EqualFold(r.Header.Get("Upgrade"), "tcp")
	var head bytes.Buffer
	if upgrade {
		ct := rawStream
		if multiplexed && !versionLess(apiVersion(r), "1.42") {
			ct = multiplexedStream
		}
		fmt.Fprintf(&head, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n", ct)
	} else {
		fmt.Fprintf(&head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n", rawStream)
	}
	w.Header().WriteSubset(&head, map[string]bool{"Content-Type": true, "Content-Length": true})
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		conn.Close()
		return nil, fmt.Errorf("answer the stream request: %w", err)
	}
	h := &hijacked{conn: conn, Stdin: newConnInput(conn, brw.Reader)}
	h.ctx, h.cancel = context.WithCancel(s.ctx)
	h.stop = watchHangup(conn, h.cancel)
	if multiplexed {
		mu := &sync.Mutex{}
		h.Stdout, h.Stderr = &muxWriter{w: conn, stream: 1, mu: mu}, &muxWriter{w: conn, stream: 2, mu: mu}
	} else {
		raw := &lockedWriter{w: conn}
		h.Stdout, h.Stderr = raw, raw
	}
	return h, nil
}

// Close ends the stream: the watch stops and the connection closes.
func (h *hijacked) Close() error {
	h.stop()
	h.cancel()
	return h.conn.Close()
}

// connInput reads the client's input: first what the HTTP server had
// already buffered, then the connection. It has read deadlines, so the
// engine's input copy can be stopped (see engine.Attach).
type connInput struct {
	conn net.Conn
	r    io.Reader
}

func newConnInput(conn net.Conn, br *bufio.Reader) *connInput {
	var r io.Reader = conn
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		r = io.MultiReader(bytes.NewReader(append([]byte(nil), b...)), conn)
	}
	return &connInput{conn: conn, r: r}
}

func (c *connInput) Read(p []byte) (int, error) { return c.r.Read(p) }

// SetReadDeadline sets the connection's read deadline.
func (c *connInput) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// watchHangup calls gone when the peer of a unix connection closes it
// entirely (POLLHUP; a half-close only ends the client's input), so that a
// stream whose container is silent still ends when its client leaves. It
// returns the function that ends the watch. Other connections are not
// watched: their end is seen when a write fails.
func watchHangup(conn net.Conn, gone func()) func() {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return func() {}
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return func() {}
	}
	fd := -1
	rc.Control(func(u uintptr) { fd = int(u) })
	wr, ww, err := os.Pipe()
	if fd < 0 || err != nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fds := []unix.PollFd{{Fd: int32(fd)}, {Fd: int32(wr.Fd()), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, -1)
			if err == unix.EINTR {
				continue
			}
			if err == nil && fds[1].Revents != 0 {
				return
			}
			if err != nil || fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
				gone()
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			ww.Write([]byte{0})
			<-done
			wr.Close()
			ww.Close()
		})
	}
}

// muxWriter frames what it writes as one stream of Docker's multiplexed
// (stdcopy) format: an 8-byte header (stream, three zero bytes, big-endian
// length) before each chunk.
type muxWriter struct {
	w      io.Writer
	stream byte
	mu     *sync.Mutex // shared by the writers of one connection
}

// maxFrame bounds one frame's payload.
const maxFrame = 32 << 10

func (m *muxWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for len(p) > 0 {
		chunk := p
		if len(chunk) > maxFrame {
			chunk = chunk[:maxFrame]
		}
		buf := make([]byte, 8+len(chunk))
		buf[0] = m.stream
		binary.BigEndian.PutUint32(buf[4:], uint32(len(chunk)))
		copy(buf[8:], chunk)
		if _, err := m.w.Write(buf); err != nil {
			return n, err
		}
		n += len(chunk)
		p = p[len(chunk):]
	}
	return n, nil
}

// lockedWriter serialises writes of two streams onto one raw connection.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// flushWriter flushes an HTTP response after every write (logs -f).
type flushWriter struct {
	w http.ResponseWriter
}

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}
