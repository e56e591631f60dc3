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
	clients map[*net.UnixConn]bool // value: told Started
	ready   chan struct{}          // closed on the first Ready frame
	once    sync.Once
	keep    []*os.File // descriptors handed to the next exec

	imu    sync.Mutex
	stdin  io.WriteCloser // current process's stdin, nil when closed or absent
	resize func(w, h uint16)
}

func newServer(ln *net.UnixListener, lean bool) *server {
	s := &server{ln: ln, lean: lean, clients: map[*net.UnixConn]bool{}, ready: make(chan struct{})}
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

// adopt serves a listener and clients inherited across an exec. Clients that
// were already told Started (the process runs) are served at once.
func adopt(lnFD int, clients []int, lean, started bool) (*server, error) {
	f := fileOf(lnFD, "attach-listener")
	l, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	s := newServer(l.(*net.UnixListener), lean)
	for _, fd := range clients {
		cf := fileOf(fd, "attach-client")
		c, err := net.FileConn(cf)
		cf.Close()
		if err != nil {
			continue
		}
		uc := c.(*net.UnixConn)
		s.mu.Lock()
		s.clients[uc] = started
		s.mu.Unlock()
		s.once.Do(func() { close(s.ready) })
		if lean {
			go func() { // it sent Ready to the full shape already
				if started || s.tell(uc) {
					s.serveInput(uc)
				}
			}()
		}
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
		s.clients[c] = false
		s.mu.Unlock()
		go s.serve(c, false)
	}
}

// setProcess points client input at a newly started process.
func (s *server) setProcess(stdin io.WriteCloser, resize func(w, h uint16)) {
	s.imu.Lock()
	s.stdin, s.resize = stdin, resize
	s.imu.Unlock()
}

func (s *server) serve(c *net.UnixConn, told bool) {
	if !told {
		if k, _, err := attach.ReadFrame(c); err != nil || k != attach.Ready {
			s.drop(c)
			return
		}
		s.once.Do(func() { close(s.ready) })
		s.mu.Lock()
		lean := s.lean
		s.mu.Unlock()
		if !lean {
			return // the full shape leaves the rest to the lean shape
		}
		if !s.tell(c) {
			return
		}
	}
	s.serveInput(c)
}

// tell sends Started to one client.
func (s *server) tell(c *net.UnixConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c]; !ok {
		return false
	}
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := attach.WriteFrame(c, attach.Started, nil); err != nil {
		delete(s.clients, c)
		c.Close()
		return false
	}
	s.clients[c] = true
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
	for c, told := range s.clients {
		if !told {
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

// goLean makes a full-shape server serve its clients fully (when the monitor
// waits for the container itself); a lean one is unchanged.
func (s *server) goLean() {
	s.mu.Lock()
	if s.lean {
		s.mu.Unlock()
		return
	}
	s.lean = true
	var waiting []*net.UnixConn
	for c, told := range s.clients {
		if !told {
			waiting = append(waiting, c)
		}
	}
	s.mu.Unlock()
	for _, c := range waiting {
		go func() {
			if s.tell(c) {
				s.serveInput(c)
			}
		}()
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
