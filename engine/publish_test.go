package engine_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"berth/engine"
	"berth/netmgr"
	"berth/netmgr/nettest"
)

// freePort returns a host port that was free a moment ago (bound to :0 and let go).
func freePort(t *testing.T, proto string) string {
	t.Helper()
	if proto == "udp" {
		c, err := net.ListenPacket("udp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port)
	}
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// peerServer is a busybox httpd whose /cgi-bin/peer prints the address the
// request came from.
var peerServer = []string{"sh", "-c", `mkdir -p /www/cgi-bin &&
printf '%s\n' '#!/bin/sh' 'echo Content-Type: text/plain' echo 'echo $REMOTE_ADDR' > /www/cgi-bin/peer &&
chmod +x /www/cgi-bin/peer && exec httpd -f -p 80 -h /www`}

// getVia is httpGet with connections made by dial (nil: from the host).
func getVia(t *testing.T, dial func(network, addr string) (net.Conn, error), url string) string {
	t.Helper()
	if dial == nil {
		return httpGet(t, url)
	}
	return httpGetWith(t, &http.Transport{DisableKeepAlives: true,
		DialContext: func(_ context.Context, network, addr string) (net.Conn, error) { return dial(network, addr) }}, url)
}

// peerAddr is the address httpd printed, without the IPv6 mapping it adds
// ("[::ffff:10.0.0.1]" is 10.0.0.1).
func peerAddr(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}

// TestPublishedPortKeepsClientAddress: `-p H:80` (as the CLI parses it, host
// IP 0.0.0.0) is DNATed, not proxied, for a client in another namespace and
// for the host itself connecting to the host's main address, so the container
// sees the real client address; 127.0.0.1 goes through the userland proxy
// (the container sees the bridge gateway), as does another container on the
// bridge; a port published on the main address alone works the same way.
func TestPublishedPortKeepsClientAddress(t *testing.T) {
	main, err := nettest.HostAddr()
	if err != nil {
		t.Skipf("no main host address: %v", err)
	}
	e := newEngine(t)
	client := nettest.NewClient(t)
	all, only := freePort(t, "tcp"), freePort(t, "tcp")
	maps, err := netmgr.ParsePorts([]string{all + ":80", main.String() + ":" + only + ":80"})
	if err != nil {
		t.Fatal(err)
	}
	o := opts(peerServer...)
	o.Name, o.HostConfig.PortBindings = "peer", engine.PortMapFromMappings(maps)
	c := startNamed(t, e, o)
	gw := c.NetworkSettings.Networks["bridge"].Gateway
	cases := []struct {
		name string
		dial func(network, addr string) (net.Conn, error)
		host string
		port string
		want string
	}{
		{"client namespace to the main address", client.Dial, main.String(), all, client.Addr.String()},
		{"host to its main address", nil, main.String(), all, main.String()},
		{"host to 127.0.0.1 (proxy)", nil, "127.0.0.1", all, gw},
		{"client namespace to a port on the main address only", client.Dial, main.String(), only, client.Addr.String()},
	}
	for _, tc := range cases {
		url := "http://" + net.JoinHostPort(tc.host, tc.port) + "/cgi-bin/peer"
		if got := peerAddr(getVia(t, tc.dial, url)); got != tc.want {
			t.Errorf("%s (%s): the container saw %q, want %q", tc.name, url, got, tc.want)
		}
	}
	// Another container on the bridge reaches the port on the host's address
	// too, through the proxy (as Docker's docker0 traffic does).
	url := "http://" + net.JoinHostPort(main.String(), all) + "/cgi-bin/peer"
	out, _, code := runAttached(t, e, onNet("bridge", "", "wget", "-qO-", url))
	if got := peerAddr(out); code != 0 || got != gw {
		t.Errorf("a container on the bridge to %s: exit %d, the server saw %q, want %q", url, code, got, gw)
	}
}
