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

// server serves attach clients: it fans container output out to every client and
// feeds their stdin, resizes and ready signals back to the monitor.
type server struct {
	ln      net.Listener
	mu      sync.Mutex
	clients map[net.Conn]struct{}
	ready   chan struct{} // closed on the first Ready frame
	once    sync.Once

	imu    sync.Mutex
	stdin  io.WriteCloser // current process's stdin, nil when closed or absent
	resize func(w, h uint16)
}

func listen(path string) (*server, error) {
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	s := &server{ln: ln, clients: map[net.Conn]struct{}{}, ready: make(chan struct{})}
	go s.accept()
	return s, nil
}

func (s *server) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.clients[c] = struct{}{}
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

func (s *server) serve(c net.Conn) {
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
		case attach.Ready:
			s.once.Do(func() { close(s.ready) })
		}
		s.imu.Unlock()
	}
}

func (s *server) drop(c net.Conn) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
	c.Close()
}

// broadcast sends a frame to every client; a client that cannot take it within
// a few seconds is dropped rather than stalling the container.
func (s *server) broadcast(k attach.Kind, p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
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
	s.broadcast(attach.Exit, attach.ExitPayload(code))
	s.mu.Lock()
	for c := range s.clients {
		c.Close()
		delete(s.clients, c)
	}
	s.mu.Unlock()
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
