package netmgr

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"

	"berth/netmgr/proxy"
	"github.com/containerd/errdefs"
)

// TestConnectivity: two namespaces on one network ping each other and talk TCP; a
// namespace on another network cannot reach them; an --internal network has no
// route out.
func TestConnectivity(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	appnet, err := e.m.Create(ctx, CreateOptions{Name: "appnet"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.m.Create(ctx, CreateOptions{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	internal, err := e.m.Create(ctx, CreateOptions{Name: "secret", Internal: true})
	if err != nil {
		t.Fatal(err)
	}
	connect := func(netName, id string) (string, *Endpoint) {
		p := e.ns(t, id)
		ep, err := e.m.Connect(ctx, netName, id, p, ConnectOptions{Primary: true, Aliases: []string{id + "-alias"}})
		if err != nil {
			t.Fatal(err)
		}
		return p, ep
	}
	pa, a := connect("appnet", "ctra")
	pb, b := connect("appnet", "ctrb")
	pc, _ := connect("other", "ctrc")
	pi, _ := connect("secret", "ctri")
	if a.IP == b.IP || !appnet.Subnet.Contains(a.IP) || a.IfName != "eth0" {
		t.Fatalf("endpoints %+v %+v on %s", a, b, appnet.Subnet)
	}
	if err := ping(pa, b.IP); err != nil {
		t.Errorf("a -> b: %v", err)
	}
	if err := ping(pb, appnet.Gateway); err != nil {
		t.Errorf("b -> gateway: %v", err)
	}
	serveTCP(t, pb, ":80", "hello from b")
	if got, err := fetch(pa, netip.AddrPortFrom(b.IP, 80).String()); err != nil || got != "hello from b" {
		t.Errorf("a -> b:80 = %q, %v", got, err)
	}
	if err := ping(pc, b.IP); err == nil {
		t.Errorf("network %s reached %s on %s", other.Name, b.IP, appnet.Name)
	}
	if _, err := fetch(pc, netip.AddrPortFrom(b.IP, 80).String()); err == nil {
		t.Errorf("network %s reached %s:80", other.Name, b.IP)
	}
	_, err = fetch(pi, netip.AddrPortFrom(other.Gateway, 80).String())
	var op *net.OpError
	if !errors.As(err, &op) || !errors.Is(err, errNoRoute()) {
		t.Errorf("internal -> other gateway: %v, want no route", err)
	}
	if internal.Internal != true {
		t.Errorf("network %+v", internal)
	}
	mem, err := e.m.Members(ctx, "appnet")
	if err != nil || len(mem) != 2 || mem[0].Aliases[0] != mem[0].ContainerID+"-alias" {
		t.Errorf("members %+v, %v", mem, err)
	}
	if err := e.m.Remove(ctx, "appnet"); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("remove with endpoints: %v", err)
	}
	if err := e.m.Disconnect(ctx, "appnet", "ctra"); err != nil {
		t.Fatal(err)
	}
	if err := ping(pb, a.IP); err == nil {
		t.Errorf("disconnected %s still answers", a.IP)
	}
	b2, err := e.m.Connect(ctx, "appnet", "ctra", pa, ConnectOptions{IP: a.IP})
	if err != nil || b2.IP != a.IP {
		t.Errorf("reconnect with --ip %s: %+v, %v", a.IP, b2, err)
	}
	if fw, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); string(fw) != "1\n" {
		t.Errorf("ip_forward = %q", fw)
	}
}

// TestPublish: a published TCP and UDP port of a server in a namespace answers
// through the userland proxy on 127.0.0.1 and through DNAT on the gateway address.
func TestPublish(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n, err := e.m.EnsureDefault(ctx)
	if err != nil || n.Bridge != e.opt.Name+"0" {
		t.Fatalf("default network %+v, %v", n, err)
	}
	p := e.ns(t, "web")
	ep, err := e.m.Connect(ctx, "bridge", "web", p, ConnectOptions{Primary: true})
	if err != nil {
		t.Fatal(err)
	}
	serveTCP(t, p, ":80", "served")
	serveUDP(t, p, ":53")
	want, err := ParsePorts([]string{"80", "53/udp"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.m.Publish(ctx, "web", ep.IP, want)
	if err != nil {
		t.Fatal(err)
	}
	for _, pm := range got {
		if pm.HostPort == 0 {
			t.Fatalf("no host port assigned: %+v", got)
		}
		c, err := proxy.Serve(ctx, proxy.Spec{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: pm.HostPort,
			Proto: pm.Proto, TargetIP: ep.IP, TargetPort: pm.ContainerPort})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	tcpPort, udpPort := strconv.Itoa(int(got[0].HostPort)), strconv.Itoa(int(got[1].HostPort))
	for _, host := range []string{"127.0.0.1", n.Gateway.String()} {
		if s, err := fetch("", net.JoinHostPort(host, tcpPort)); err != nil || s != "served" {
			t.Errorf("tcp via %s:%s = %q, %v", host, tcpPort, s, err)
		}
		if s, err := udpAsk(net.JoinHostPort(host, udpPort), "q"); err != nil || s != "echo:q" {
			t.Errorf("udp via %s:%s = %q, %v", host, udpPort, s, err)
		}
	}
	// A host port in use fails clearly and adds nothing.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := uint16(l.Addr().(*net.TCPAddr).Port)
	_, err = e.m.Publish(ctx, "web2", ep.IP, []PortMapping{{HostPort: busy, ContainerPort: 80, Proto: "tcp"}})
	if !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("publish busy port: %v", err)
	}
	if ps, _ := e.m.Published(ctx, "web2"); len(ps) != 0 {
		t.Errorf("busy publish left %+v", ps)
	}
	if ps, _ := e.m.Published(ctx, "web"); len(ps) != 2 {
		t.Errorf("published %+v", ps)
	}
	if err := e.m.Unpublish(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if s, err := fetch("", net.JoinHostPort(n.Gateway.String(), tcpPort)); err == nil {
		t.Errorf("unpublished port still answers %q", s)
	}
}
