package netmgr

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/containerd/errdefs"
)

func TestParsePorts(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	cases := []struct {
		spec string
		want []PortMapping
	}{
		{"8080:80", []PortMapping{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}},
		{"127.0.0.1:8081:80/tcp", []PortMapping{{HostIP: lo, HostPort: 8081, ContainerPort: 80, Proto: "tcp"}}},
		{"5353:53/udp", []PortMapping{{HostPort: 5353, ContainerPort: 53, Proto: "udp"}}},
		{"80", []PortMapping{{ContainerPort: 80, Proto: "tcp"}}},
		{"127.0.0.1::80", []PortMapping{{HostIP: lo, ContainerPort: 80, Proto: "tcp"}}},
		{"8000-8001:80-81", []PortMapping{{HostPort: 8000, ContainerPort: 80, Proto: "tcp"}, {HostPort: 8001, ContainerPort: 81, Proto: "tcp"}}},
		{"[::1]:8080:80", []PortMapping{{HostIP: netip.MustParseAddr("::1"), HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}},
	}
	for _, c := range cases {
		got, err := ParsePorts([]string{c.spec})
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, %v; want %+v", c.spec, got, err, c.want)
		}
	}
	for _, bad := range []string{"70000:80", "abc", "", "80/sctp", "8000-8002:80-81", "1.2.3:80:80", "::1:80:80",
		"0:80", "80-70", "[::1]80", "a:b:c:d", "8080:", "-1"} {
		if _, err := ParsePorts([]string{bad}); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%q: got %v, want invalid argument", bad, err)
		}
	}
}

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"8080:80", "127.0.0.1:8081:80/tcp", "5353:53/udp", "80", "8000-8001:80-81",
		"[::1]:8080:80", "70000:80", "abc", "::", "1-65535:1-65535/udp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParsePorts([]string{s})
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("%q: unclassified error %v", s, err)
			}
			return
		}
		for _, m := range ms {
			if m.ContainerPort == 0 || (m.Proto != "tcp" && m.Proto != "udp") {
				t.Fatalf("%q: bad mapping %+v", s, m)
			}
		}
	})
}

// BenchmarkNetworkCreate measures creating a network record and bringing its
// bridge up with its nftables rules (what the first container on it pays).
func BenchmarkNetworkCreate(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		n, err := e.m.Create(ctx, CreateOptions{Name: "bench" + itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		unlock, _ := e.m.lock()
		_, err = e.m.ensureBridge(n)
		unlock()
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkConnect measures the network part of a container start: a named
// namespace, veth pair, address, default route on an existing bridge.
func BenchmarkConnect(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	if _, err := e.m.Create(ctx, CreateOptions{Name: "bench", Subnet: netip.MustParsePrefix("10.247.0.0/20")}); err != nil {
		b.Fatal(err)
	}
	warm := e.ns(b, "warm")
	if _, err := e.m.Connect(ctx, "bench", "warm", warm, ConnectOptions{Primary: true}); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		id := "c" + itoa(i)
		p := e.ns(b, id)
		if _, err := e.m.Connect(ctx, "bench", id, p, ConnectOptions{Primary: true}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func itoa(i int) string {
	return string(rune('a'+i/676%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i%26))
}

// BenchmarkNamespace measures CreateNamespace alone (the part of BenchmarkConnect
// that is not Connect).
func BenchmarkNamespace(b *testing.B) {
	e := newEnv(b)
	i := 0
	for b.Loop() {
		e.ns(b, "n"+itoa(i))
		i++
	}
}
