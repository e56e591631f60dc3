package netmgr

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
)

// TestBindErrorWords: a host port that cannot be bound is named in
// dockerd's words, with the address it was bound on.
func TestBindErrorWords(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	_, err = reservePorts([]PortMapping{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: port, ContainerPort: 80, Proto: "tcp"}})
	want := "Error starting userland proxy: listen tcp4 127.0.0.1:" + strconv.Itoa(int(port)) + ": bind: address already in use"
	if err == nil || err.Error() != want {
		t.Errorf("bind of a busy port: %v, want %q", err, want)
	}
	for _, tt := range []struct {
		p    PortMapping
		want string
	}{
		{PortMapping{HostPort: 8080, Proto: "tcp"}, "0.0.0.0:8080"},
		{PortMapping{HostIP: netip.MustParseAddr("10.0.0.1"), HostPort: 53, Proto: "udp"}, "10.0.0.1:53"},
		{PortMapping{HostIP: netip.MustParseAddr("::1"), HostPort: 1, Proto: "tcp"}, "[::1]:1"},
	} {
		if got := bindAddr(tt.p); got != tt.want {
			t.Errorf("bindAddr(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}
