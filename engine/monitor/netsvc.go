package monitor

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"

	"berth/engine/dnsd"
	"berth/netmgr/proxy"
)

// The container's port proxies and embedded DNS must answer from the first
// instruction the container runs, so their sockets are opened before the
// process is released (openNet) and served afterwards (serveNet) — by the lean
// shape when the sockets cross the exec. netFiles holds them in config order:
// the DNS socket first (if any), then one per proxy; nil where opening failed.

// openNet opens the sockets of the container's network services.
func (m *monitor) openNet() []*os.File {
	var files []*os.File
	if d := m.cfg.DNS; d != nil {
		var f *os.File
		s, err := dnsd.Listen(d.NetNS, dnsd.Address, d.Files, d.Upstreams)
		if err == nil {
			f, err = s.File()
			s.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "berth-monitor: dns:", err)
		}
		files = append(files, f)
	}
	for _, p := range m.cfg.Proxies {
		spec, err := proxySpec(p)
		var f *os.File
		if err == nil {
			f, err = proxy.Open(spec)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "berth-monitor: proxy %s %s: %v\n", p.Proto, p.Listen, err)
		}
		files = append(files, f)
	}
	return files
}

func proxySpec(p Proxy) (proxy.Spec, error) {
	l, err := netip.ParseAddrPort(p.Listen)
	if err != nil {
		return proxy.Spec{}, err
	}
	t, err := netip.ParseAddrPort(p.Target)
	if err != nil {
		return proxy.Spec{}, err
	}
	return proxy.Spec{Proto: p.Proto, HostIP: l.Addr(), HostPort: l.Port(), TargetIP: t.Addr(), TargetPort: t.Port()}, nil
}

// serveNet serves the opened sockets until the returned func is called.
func (m *monitor) serveNet(files []*os.File) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var closers []io.Closer
	i := 0
	if d := m.cfg.DNS; d != nil && i < len(files) {
		if f := files[i]; f != nil {
			if s, err := dnsd.FromFile(f, d.Files, d.Upstreams); err == nil {
				go s.Serve(ctx)
				closers = append(closers, s)
			}
			f.Close()
		}
		i++
	}
	for _, p := range m.cfg.Proxies {
		if i >= len(files) {
			break
		}
		f := files[i]
		i++
		spec, err := proxySpec(p)
		if f == nil || err != nil {
			continue
		}
		spec.File = f
		c, err := proxy.Serve(ctx, spec)
		f.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "berth-monitor: proxy %s %s: %v\n", p.Proto, p.Listen, err)
			continue
		}
		closers = append(closers, c)
	}
	return func() {
		cancel()
		for _, c := range closers {
			c.Close()
		}
	}
}
