package netmgr

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"berth/netmgr/nettest"
)

// servePeer listens inside the namespace and answers every connection with
// the address the connection came from.
func servePeer(tb testing.TB, path, addr string) {
	var l net.Listener
	if err := inNS(path, func() (err error) { l, err = net.Listen("tcp", addr); return }); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(c.RemoteAddr().(*net.TCPAddr).IP.String()))
			c.Close()
		}
	}()
}

// readFrom reads what the server at addr says through a connection from dial.
func readFrom(dial func(network, addr string) (net.Conn, error), addr string) (string, error) {
	c, err := dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 100)
	n, err := c.Read(b)
	if n > 0 {
		return string(b[:n]), nil
	}
	return "", err
}

func freeTCPPort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// TestPublishKeepsClientAddress: a port published on every address (as
// `-p H:P` stores it, host IP 0.0.0.0, and with no host IP) or on the host's
// main address is DNATed for traffic from another namespace to the host's main
// address and for the host's own traffic to it, so the server sees the real
// client address; no userland proxy runs here, so only DNAT can answer.
func TestPublishKeepsClientAddress(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	main, err := nettest.HostAddr()
	if err != nil {
		t.Skipf("no main host address: %v", err)
	}
	client := nettest.NewClient(t)
	if _, err := e.m.EnsureDefault(ctx); err != nil {
		t.Fatal(err)
	}
	p := e.ns(t, "web")
	ep, err := e.m.Connect(ctx, "bridge", "web", p, ConnectOptions{Primary: true})
	if err != nil {
		t.Fatal(err)
	}
	servePeer(t, p, ":80")
	cases := []struct {
		name   string
		hostIP netip.Addr
	}{
		{"all addresses as 0.0.0.0", netip.IPv4Unspecified()},
		{"all addresses", netip.Addr{}},
		{"the main address", main},
	}
	for _, tc := range cases {
		hp := freeTCPPort(t)
		ps, err := e.m.Publish(ctx, "web", ep.IP, []PortMapping{{HostIP: tc.hostIP, HostPort: hp, ContainerPort: 80, Proto: "tcp"}})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.hostIP.IsUnspecified() && ps[0].HostIP.IsValid() {
			t.Errorf("%s: published as %s, want every address", tc.name, ps[0].HostIP)
		}
		addr := net.JoinHostPort(main.String(), strconv.Itoa(int(hp)))
		if got, err := readFrom(client.Dial, addr); err != nil || got != client.Addr.String() {
			t.Errorf("%s: from the client namespace to %s: server saw %q (%v), want %s", tc.name, addr, got, err, client.Addr)
		}
		if got, err := readFrom(net.Dial, addr); err != nil || got != main.String() {
			t.Errorf("%s: from the host to %s: server saw %q (%v), want %s", tc.name, addr, got, err, main)
		}
		if err := e.m.Unpublish(ctx, "web"); err != nil {
			t.Fatal(err)
		}
	}
}
