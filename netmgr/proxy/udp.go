package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// udpProxy keeps one connected socket to the target per client address.
type udpProxy struct {
	pc     *net.UDPConn
	target *net.UDPAddr
	idle   time.Duration
	mu     sync.Mutex
	flows  map[netip.AddrPort]*flow
	closed bool
}

type flow struct {
	conn *net.UDPConn
	last atomic.Int64 // unix nanoseconds of the last datagram either way
}

func serveUDP(s Spec) (io.Closer, error) {
	pc, err := listenUDP(s)
	if err != nil {
		return nil, err
	}
	p := &udpProxy{pc: pc, target: net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.TargetIP, s.TargetPort)),
		idle: s.UDPIdle, flows: map[netip.AddrPort]*flow{}}
	if p.idle <= 0 {
		p.idle = 30 * time.Second
	}
	go p.serve()
	return p, nil
}

func listenUDP(s Spec) (*net.UDPConn, error) {
	if s.File != nil {
		c, err := net.FilePacketConn(s.File)
		if err != nil {
			return nil, fmt.Errorf("proxy %s/udp: %w", s.listenAddr(), err)
		}
		uc, ok := c.(*net.UDPConn)
		if !ok {
			c.Close()
			return nil, fmt.Errorf("proxy %s/udp: not a UDP socket", s.listenAddr())
		}
		return uc, nil
	}
	la, err := net.ResolveUDPAddr("udp", s.listenAddr())
	if err != nil {
		return nil, fmt.Errorf("proxy %s/udp: %w", s.listenAddr(), err)
	}
	pc, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, fmt.Errorf("proxy listen %s/udp: %w", s.listenAddr(), err)
	}
	return pc, nil
}

func (p *udpProxy) serve() {
	buf := make([]byte, 65535)
	for {
		n, from, err := p.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if p.isClosed() {
				return
			}
			continue
		}
		f, err := p.flowFor(from)
		if err != nil {
			continue
		}
		f.last.Store(time.Now().UnixNano())
		_, _ = f.conn.Write(buf[:n])
	}
}

func (p *udpProxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *udpProxy) flowFor(from netip.AddrPort) (*flow, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, net.ErrClosed
	}
	if f, ok := p.flows[from]; ok {
		return f, nil
	}
	c, err := net.DialUDP("udp", nil, p.target)
	if err != nil {
		return nil, err
	}
	f := &flow{conn: c}
	p.flows[from] = f
	go p.replies(from, f)
	return f, nil
}

// replies copies the target's answers back to the client until the flow idles out.
func (p *udpProxy) replies(client netip.AddrPort, f *flow) {
	defer func() {
		p.mu.Lock()
		if p.flows[client] == f {
			delete(p.flows, client)
		}
		p.mu.Unlock()
		f.conn.Close()
	}()
	buf := make([]byte, 65535)
	for {
		_ = f.conn.SetReadDeadline(time.Unix(0, f.last.Load()).Add(p.idle))
		n, err := f.conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && time.Since(time.Unix(0, f.last.Load())) < p.idle {
				continue
			}
			return
		}
		f.last.Store(time.Now().UnixNano())
		_, _ = p.pc.WriteToUDPAddrPort(buf[:n], client)
	}
}

// Close stops the listener and every flow.
func (p *udpProxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for _, f := range p.flows {
		f.conn.Close()
	}
	p.mu.Unlock()
	return p.pc.Close()
}
