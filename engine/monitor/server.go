package monitor

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"berth/engine/attach"
)

// server serves attach clients. A client sends Ready, then waits for Started
// before it sends stdin or resizes; so the full shape of the monitor reads one
// frame per client and nothing more, and a client crosses the exec into the
// lean shape at a frame boundary. The lean shape serves clients fully: it fans
// output out to them and feeds their stdin and resizes to the process.
type server struct {
	ln      *net.UnixListener
	lean    bool
	mu      sync.Mutex
	clients map[*net.UnixConn]clientState
	ready   chan struct{} // closed on the first Ready frame
	once    sync.Once
	keep    []*os.File // descriptors handed to the next exec

	imu    sync.Mutex
	stdin  io.WriteCloser // current process's stdin, nil when closed or absent
	resize func(w, h uint16)
}

// clientState is how far a client got: it connected, it sent Ready (and waits
// for Started), or it was told Started and is served fully.
type clientState int

const (
	connected clientState = iota
	waiting
	told
)

func newServer(ln *net.UnixListener, lean bool) *server {
	s := &server{ln: ln, lean: lean, clients: map[*net.UnixConn]clientState{}, ready: make(chan struct{})}
	go s.accept()
	return s
}

func listen(path string) (*server, error) {
	_ = os.Remove(path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	return newServer(ln, false), nil
}

// adopt takes over a listener and clients inherited across an exec; they are
// served once serveAll is called.
func adopt(lnFD int, clients []int) (*server, error) {
	f := fileOf(lnFD, "attach-listener")
	l, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	s := newServer(l.(*net.UnixListener), false)
	for _, fd := range clients {
		cf := fileOf(fd, "attach-client")
		c, err := net.FileConn(cf)
		cf.Close()
		if err != nil {
			continue
		}
		uc := c.(*net.UnixConn)
		s.mu.Lock()
		s.clients[uc] = waiting // it sent Ready to the full shape
		s.mu.Unlock()
		s.once.Do(func() { close(s.ready) })
	}
	return s, nil
}

func (s *server) accept() {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.clients[c] = connected
		s.mu.Unlock()
		go s.serve(c)
	}
}

// setProcess points client input at a newly started process.
func (s *server) setProcess(stdin io.WriteCloser, resize func(w, h uint16)) {
	s.imu.Lock()
	s.stdin, s.resize = stdin, resize
	s.imu.Unlock()
}

// serve reads a new client's Ready frame; a lean server then serves it fully,
// a full one leaves it waiting (see serveAll).
func (s *server) serve(c *net.UnixConn) {
	if k, _, err := attach.ReadFrame(c); err != nil || k != attach.Ready {
		s.drop(c)
		return
	}
	s.mu.Lock()
	lean := s.lean
	if _, ok := s.clients[c]; ok {
		s.clients[c] = waiting
	}
	s.mu.Unlock()
	// Only now may the process start: serveAll must find this client waiting,
	// or the process's first output would reach the log but not the client.
	s.once.Do(func() { close(s.ready) })
	if lean && s.tell(c) {
		s.serveInput(c)
	}
}

// tell sends Started to one client.
func (s *server) tell(c *net.UnixConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.clients[c]; !ok || st != waiting {
		return false // someone else told it already
	}
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := attach.WriteFrame(c, attach.Started, nil); err != nil {
		delete(s.clients, c)
		c.Close()
		return false
	}
	s.clients[c] = told
	return true
}

func (s *server) serveInput(c *net.UnixConn) {
	defer s.drop(c)
	for {
		k, p, err := attach.ReadFrame(c)
		if err != nil {
			return
		}
		s.imu.Lock()
		switch k {
		case attach.Stdin:
			if s.stdin != nil {
				if _, err := s.stdin.Write(p); err != nil {
					s.stdin = nil
				}
			}
		case attach.CloseStdin:
			if s.stdin != nil {
				s.stdin.Close()
				s.stdin = nil
			}
		case attach.Resize:
			if w, h, err := attach.ParseResize(p); err == nil && s.resize != nil {
				s.resize(w, h)
			}
		}
		s.imu.Unlock()
	}
}

func (s *server) drop(c *net.UnixConn) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
	c.Close()
}

// broadcast sends a frame to every started client; a client that cannot take
// it within a few seconds is dropped rather than stalling the container.
func (s *server) broadcast(k attach.Kind, p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c, st := range s.clients {
		if st != told {
			continue
		}
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := attach.WriteFrame(c, k, p); err != nil {
			delete(s.clients, c)
			c.Close()
		}
	}
}

// waitReady waits for a client's Ready frame, at most d.
func (s *server) waitReady(d time.Duration) error {
	select {
	case <-s.ready:
		return nil
	case <-time.After(d):
		return errors.New("no client attached in time")
	}
}

// exit tells every client the exit code and hangs up on them.
func (s *server) exit(code int) {
	s.mu.Lock()
	for c := range s.clients {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_ = attach.WriteFrame(c, attach.Exit, attach.ExitPayload(code))
		c.Close()
		delete(s.clients, c)
	}
	s.mu.Unlock()
}

// handoff returns the descriptors of the listener and the clients, for an
// exec; the server must not be used afterwards.
func (s *server) handoff() (int, []int, error) {
	lf, err := s.ln.File()
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keep = append(s.keep, lf)
	var fds []int
	for c := range s.clients {
		if f, err := c.File(); err == nil {
			s.keep = append(s.keep, f)
			fds = append(fds, int(f.Fd()))
		}
	}
	return int(lf.Fd()), fds, nil
}

// serveAll serves every client it holds fully, telling those that wait that
// the process started; call it once the process's input is set. From then on
// new clients are served fully too.
func (s *server) serveAll() {
	s.mu.Lock()
	s.lean = true
	var held []*net.UnixConn
	for c, st := range s.clients {
		if st == waiting {
			held = append(held, c)
		}
	}
	s.mu.Unlock()
	for _, c := range held { // tell them now, before any output is sent
		if s.tell(c) {
			go s.serveInput(c)
		}
	}
}

func (s *server) close() { s.ln.Close() }

// streamWriter is an io.Writer for one output stream: it writes to the log and
// to attached clients.
type streamWriter struct {
	log  io.Writer
	srv  *server
	kind attach.Kind
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if w.log != nil {
		w.log.Write(p)
	}
	for off := 0; off < len(p); off += attach.MaxPayload {
		end := min(off+attach.MaxPayload, len(p))
		w.srv.broadcast(w.kind, p[off:end])
	}
	return len(p), nil
}
