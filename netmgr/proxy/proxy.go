// Package proxy is berth's userland port proxy: it serves a published port on a
// host address that DNAT cannot reach (127.0.0.1 without route_localnet) by
// copying TCP streams and UDP datagrams to the container. It uses the standard
// library only, so the lean per-container monitor can link it.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"
)

// Spec is one published port: listen on HostIP:HostPort (zero HostIP: every
// address) and forward to TargetIP:TargetPort.
type Spec struct {
	HostIP     netip.Addr
	HostPort   uint16
	Proto      string // tcp or udp
	TargetIP   netip.Addr
	TargetPort uint16
	// UDPIdle ends a UDP client's flow after this long without traffic (default 30s).
	UDPIdle time.Duration
	// File, when set, is an already listening socket to serve (from Open,
	// perhaps inherited across an exec) instead of listening anew.
	File *os.File
}

// Open listens on the spec's host address and returns the socket as a file,
// so that it can be made before the container runs and served later (by
// Serve with Spec.File), possibly by another program image.
func Open(s Spec) (*os.File, error) {
	switch s.Proto {
	case "tcp":
		l, err := net.Listen("tcp", s.listenAddr())
		if err != nil {
			return nil, fmt.Errorf("proxy listen %s/tcp: %w", s.listenAddr(), err)
		}
		defer l.Close()
		return l.(*net.TCPListener).File()
	case "udp":
		pc, err := net.ListenPacket("udp", s.listenAddr())
		if err != nil {
			return nil, fmt.Errorf("proxy listen %s/udp: %w", s.listenAddr(), err)
		}
		defer pc.Close()
		return pc.(*net.UDPConn).File()
	}
	return nil, fmt.Errorf("proxy %s: protocol %q: want tcp or udp", s.listenAddr(), s.Proto)
}

func (s Spec) listenAddr() string {
	host := ""
	if s.HostIP.IsValid() {
		host = s.HostIP.String()
	}
	return net.JoinHostPort(host, strconv.Itoa(int(s.HostPort)))
}

func (s Spec) target() string {
	return netip.AddrPortFrom(s.TargetIP, s.TargetPort).String()
}

// Serve starts the proxy; it runs until ctx ends or the returned Closer is closed.
func Serve(ctx context.Context, s Spec) (io.Closer, error) {
	if !s.TargetIP.IsValid() || s.TargetPort == 0 {
		return nil, fmt.Errorf("proxy %s/%s: no target", s.listenAddr(), s.Proto)
	}
	var c io.Closer
	var err error
	switch s.Proto {
	case "tcp":
		c, err = serveTCP(s)
	case "udp":
		c, err = serveUDP(s)
	default:
		return nil, fmt.Errorf("proxy %s: protocol %q: want tcp or udp", s.listenAddr(), s.Proto)
	}
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	return closerFunc(func() error { stop(); return c.Close() }), nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// tcpProxy accepts on the host and pipes each connection to the target.
type tcpProxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	once   sync.Once
}

func serveTCP(s Spec) (io.Closer, error) {
	var l net.Listener
	var err error
	if s.File != nil {
		l, err = net.FileListener(s.File)
	} else {
		l, err = net.Listen("tcp", s.listenAddr())
	}
	if err != nil {
		return nil, fmt.Errorf("proxy listen %s/tcp: %w", s.listenAddr(), err)
	}
	p := &tcpProxy{l: l, target: s.target(), conns: map[net.Conn]struct{}{}}
	go p.accept()
	return p, nil
}

func (p *tcpProxy) accept() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: back off, keep serving
			continue
		}
		go p.pipe(c)
	}
}

func (p *tcpProxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *tcpProxy) pipe(c net.Conn) {
	defer c.Close()
	t, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	defer t.Close()
	p.track(c, true)
	p.track(t, true)
	defer p.track(c, false)
	defer p.track(t, false)
	done := make(chan struct{})
	go func() {
		copyHalf(t, c)
		close(done)
	}()
	copyHalf(c, t)
	<-done
}

// copyHalf copies src to dst (splice for TCP to TCP) and then half-closes dst.
func copyHalf(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

// Close stops listening and ends every open connection.
func (p *tcpProxy) Close() error {
	var err error
	p.once.Do(func() {
		err = p.l.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	return err
}
