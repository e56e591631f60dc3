// Package dnsd is the embedded DNS server of containers on user-defined
// networks. Like Docker's, it listens on 127.0.0.11:53 inside the container's
// own network namespace; unlike Docker's, no daemon runs it: the container's
// monitor does, so it lives and dies with the container. It answers A queries
// for the names of the containers on the same networks (name, aliases, short
// ID) from small JSON files that the engine rewrites whenever a network's
// membership changes — so containers that join later resolve at once — and
// relays every other query to the host's resolvers. It is lean on purpose
// (standard library and x/net/dns/dnsmessage): it is linked into every monitor.
package dnsd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"
)

// Address is where the server listens inside the container.
const Address = "127.0.0.11:53"

// Names is the content of one network's names file: name → addresses.
type Names map[string][]string

// WriteNames writes a names file atomically (several writers may race: each
// writes its own temporary file and renames it into place).
func WriteNames(path string, n Names) error {
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Server answers queries on one socket.
type Server struct {
	conn      *net.UDPConn
	files     []string
	upstreams []string
	mu        sync.Mutex
	names     map[string][]netip.Addr
	stamp     map[string]time.Time
}

// Listen opens the server's socket on addr inside the network namespace at
// nsPath ("" = this one). The socket stays in that namespace whatever thread
// later reads it.
func Listen(nsPath, addr string, files, upstreams []string) (*Server, error) {
	var conn *net.UDPConn
	err := inNetns(nsPath, func() error {
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return err
		}
		conn, err = net.ListenUDP("udp", ua)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dns listen %s: %w", addr, err)
	}
	return &Server{conn: conn, files: files, upstreams: upstreams, stamp: map[string]time.Time{}}, nil
}

// File returns a duplicate of the server's socket, to hand to another program
// image (the monitor re-executes itself); see FromFile.
func (s *Server) File() (*os.File, error) { return s.conn.File() }

// FromFile makes a server of a socket from File (perhaps inherited).
func FromFile(f *os.File, files, upstreams []string) (*Server, error) {
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, fmt.Errorf("dns socket: %w", err)
	}
	uc, ok := c.(*net.UDPConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("dns socket: not UDP")
	}
	return &Server{conn: uc, files: files, upstreams: upstreams, stamp: map[string]time.Time{}}, nil
}

// LocalAddr is the address the server listens on.
func (s *Server) LocalAddr() net.Addr { return s.conn.LocalAddr() }

// Serve answers until ctx ends or the socket is closed.
func (s *Server) Serve(ctx context.Context) error {
	go func() { <-ctx.Done(); s.conn.Close() }()
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		q := append([]byte(nil), buf[:n]...)
		if reply, ok := s.answer(q); ok {
			s.conn.WriteToUDPAddrPort(reply, from)
			continue
		}
		go s.forward(q, from)
	}
}

// Close stops the server.
func (s *Server) Close() error { return s.conn.Close() }

// answer builds a reply for A/AAAA queries of known names.
func (s *Server) answer(q []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil, false
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		return nil, false
	}
	question := qs[0]
	name := strings.ToLower(strings.TrimSuffix(question.Name.String(), "."))
	addrs, known := s.lookup(name)
	if !known || (question.Type != dnsmessage.TypeA && question.Type != dnsmessage.TypeAAAA) {
		return nil, false
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(question)
	b.StartAnswers()
	for _, a := range addrs {
		rh := dnsmessage.ResourceHeader{Name: question.Name, Class: dnsmessage.ClassINET, TTL: 600}
		if a.Is4() && question.Type == dnsmessage.TypeA {
			b.AResource(rh, dnsmessage.AResource{A: a.As4()})
		} else if a.Is6() && !a.Is4In6() && question.Type == dnsmessage.TypeAAAA {
			b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
	}
	out, err := b.Finish()
	return out, err == nil
}

// lookup finds a name in the names files, re-reading those that changed.
func (s *Server) lookup(name string) ([]netip.Addr, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reloadNeeded() {
		s.reload()
	}
	a, ok := s.names[name]
	return a, ok
}

func (s *Server) reloadNeeded() bool {
	if s.names == nil {
		return true
	}
	for _, f := range s.files {
		fi, err := os.Stat(f)
		var mt time.Time
		if err == nil {
			mt = fi.ModTime()
		}
		if !mt.Equal(s.stamp[f]) {
			return true
		}
	}
	return false
}

func (s *Server) reload() {
	s.names = map[string][]netip.Addr{}
	for _, f := range s.files {
		fi, err := os.Stat(f)
		if err != nil {
			s.stamp[f] = time.Time{}
			continue
		}
		s.stamp[f] = fi.ModTime()
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var n Names
		if json.Unmarshal(b, &n) != nil {
			continue
		}
		for name, list := range n {
			for _, a := range list {
				if ip, err := netip.ParseAddr(a); err == nil {
					k := strings.ToLower(name)
					s.names[k] = append(s.names[k], ip)
				}
			}
		}
	}
}

// forward relays a query to the first upstream that answers.
func (s *Server) forward(q []byte, from netip.AddrPort) {
	for _, up := range s.upstreams {
		c, err := net.DialTimeout("udp", up, 2*time.Second)
		if err != nil {
			continue
		}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Write(q); err != nil {
			c.Close()
			continue
		}
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		c.Close()
		if err == nil {
			s.conn.WriteToUDPAddrPort(buf[:n], from)
			return
		}
	}
	if reply, ok := failure(q); ok { // say so at once rather than let the client time out
		s.conn.WriteToUDPAddrPort(reply, from)
	}
}

// failure answers a query with SERVFAIL.
func failure(q []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil, false
	}
	qs, err := p.AllQuestions()
	if err != nil {
		return nil, false
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired,
		RecursionAvailable: true, RCode: dnsmessage.RCodeServerFailure})
	b.StartQuestions()
	for _, question := range qs {
		b.Question(question)
	}
	out, err := b.Finish()
	return out, err == nil
}

// inNetns runs fn on a thread that has entered the network namespace at path.
func inNetns(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the thread dies with the goroutine if it cannot switch back
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open(path)
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter %s: %w", path, err)
			return
		}
		err = fn()
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// Upstreams returns the name servers of a resolv.conf that a container can
// reach (loopback ones are the host's own and unreachable from its netns).
func Upstreams(resolvConf string) []string {
	b, err := os.ReadFile(resolvConf)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "nameserver" {
			ip, err := netip.ParseAddr(f[1])
			if err != nil || ip.IsLoopback() {
				continue
			}
			out = append(out, netip.AddrPortFrom(ip, 53).String())
		}
	}
	return out
}
