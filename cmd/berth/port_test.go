package main

import (
	"errors"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
)

func TestPortLines(t *testing.T) {
	ports := engine.PortMap{
		"80/tcp":   {{HostIP: "0.0.0.0", HostPort: "18081"}, {HostIP: "::", HostPort: "18081"}},
		"9/tcp":    {{HostIP: "127.0.0.1", HostPort: "9009"}},
		"53/udp":   {{HostIP: "127.0.0.1", HostPort: "5353"}},
		"8080/tcp": {{HostIP: "10.0.0.1", HostPort: "80"}, {HostIP: "0.0.0.0", HostPort: "8080"}},
	}
	tests := []struct {
		private string
		want    []string
		err     error
		msg     string
	}{
		{"", []string{"9/tcp -> 127.0.0.1:9009", "53/udp -> 127.0.0.1:5353", "80/tcp -> 0.0.0.0:18081",
			"80/tcp -> [::]:18081", "8080/tcp -> 0.0.0.0:8080", "8080/tcp -> 10.0.0.1:80"}, nil, ""},
		{"80", []string{"0.0.0.0:18081", "[::]:18081"}, nil, ""},
		{"80/tcp", []string{"0.0.0.0:18081", "[::]:18081"}, nil, ""},
		{"53/udp", []string{"127.0.0.1:5353"}, nil, ""},
		{"8080", []string{"0.0.0.0:8080", "10.0.0.1:80"}, nil, ""},
		{"53", nil, errdefs.ErrNotFound, "no public port '53/tcp' published for web"},
		{"80/udp", nil, errdefs.ErrNotFound, "no public port '80/udp' published for web"},
		{"abc", nil, errdefs.ErrInvalidArgument, `invalid port "abc": want PORT or PORT/PROTO, such as 80 or 53/udp`},
		{"70000", nil, errdefs.ErrInvalidArgument, `invalid port "70000"`},
		{"80/sctp", nil, errdefs.ErrInvalidArgument, `invalid port "80/sctp"`},
		{"0", nil, errdefs.ErrInvalidArgument, `invalid port "0"`},
	}
	for _, tt := range tests {
		got, err := portLines(ports, tt.private, "web")
		if tt.err != nil {
			if !errors.Is(err, tt.err) || !strings.HasPrefix(err.Error(), tt.msg) || strings.Contains(err.Error(), ": not found") ||
				strings.Contains(err.Error(), ": invalid argument") {
				t.Errorf("port %q: error %v, want %v starting %q", tt.private, err, tt.err, tt.msg)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("port %q: %q, %v; want %q", tt.private, got, err, tt.want)
		}
	}
	if got, err := portLines(engine.PortMap{}, "", "web"); err != nil || len(got) != 0 {
		t.Errorf("no ports: %q, %v", got, err)
	}
}

func TestNaturalLess(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		less bool
	}{
		{"9/tcp", "10/tcp", true}, {"10/tcp", "9/tcp", false}, {"80/tcp", "80/udp", true},
		{"a", "ab", true}, {"ab", "a", false}, {"007", "7", false}, {"7", "007", false}, {"x2y", "x10y", true},
		{"0.0.0.0:8080", "10.0.0.1:80", true}, {"", "", false},
	} {
		if got := naturalLess(tt.a, tt.b); got != tt.less {
			t.Errorf("naturalLess(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func FuzzPrivatePortKey(f *testing.F) {
	for _, s := range []string{"80", "80/tcp", "53/udp", "", "abc", "70000", "0", "80/", "/tcp", "80/sctp", "65535/udp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := privatePortKey(s)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if s == "" {
			if key != "" {
				t.Fatalf("empty gave %q", key)
			}
			return
		}
		port, proto, ok := strings.Cut(key, "/")
		n, perr := strconv.Atoi(port)
		if !ok || perr != nil || n < 1 || n > 65535 || (proto != "tcp" && proto != "udp") {
			t.Fatalf("%q gave key %q", s, key)
		}
	})
}

// freePortCLI returns a TCP port that was free a moment ago (bound to :0 and let go).
func freePortCLI(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
