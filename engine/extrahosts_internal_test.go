package engine

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"berth/testdata/fuzzcheck"
)

// TestParseExtraHost: Docker's forms of --add-host are read, others refused
// with a sentence naming the entry.
func TestParseExtraHost(t *testing.T) {
	for _, tc := range []struct {
		in, name, addr string
		bad            bool
	}{
		{in: "db:10.0.0.2", name: "db", addr: "10.0.0.2"},
		{in: "db=10.0.0.2", name: "db", addr: "10.0.0.2"},
		{in: "host.docker.internal:host-gateway", name: "host.docker.internal", addr: HostGateway},
		{in: "v6:::1", name: "v6", addr: "::1"},
		{in: "v6:[2001:db8::33]", name: "v6", addr: "2001:db8::33"},
		{in: "v6=2001:db8::33", name: "v6", addr: "2001:db8::33"},
		{in: "nocolon", bad: true},
		{in: ":1.2.3.4", bad: true},
		{in: "db:", bad: true},
		{in: "db:not-an-ip", bad: true},
		{in: "a b:1.2.3.4", bad: true},
		{in: "a\nb:1.2.3.4", bad: true},
		{in: "db:[10.0.0.2", bad: true},
	} {
		name, addr, err := ParseExtraHost(tc.in)
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), strconv.Quote(tc.in)) {
				t.Errorf("ParseExtraHost(%q) = %q, %q, %v; want an error naming it", tc.in, name, addr, err)
			}
			continue
		}
		if err != nil || name != tc.name || addr != tc.addr {
			t.Errorf("ParseExtraHost(%q) = %q, %q, %v; want %q, %q", tc.in, name, addr, err, tc.name, tc.addr)
		}
	}
}

// FuzzParseExtraHost: an accepted entry has a name without blanks and an IP
// address (or host-gateway) that reads back the same; errors are one plain
// sentence.
func FuzzParseExtraHost(f *testing.F) {
	for _, s := range []string{"db:10.0.0.2", "db=1.2.3.4", "x:host-gateway", "v6:[::1]", "nocolon", ":1.2.3.4", "a:b:c", "é:1.1.1.1", "a\t:1.1.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, addr, err := ParseExtraHost(s)
		fuzzcheck.Check(t, err, s)
		if err != nil {
			return
		}
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			t.Fatalf("ParseExtraHost(%q): name %q accepted", s, name)
		}
		if addr != HostGateway {
			if ip, err := netip.ParseAddr(addr); err != nil || ip.String() != addr {
				t.Fatalf("ParseExtraHost(%q): address %q accepted", s, addr)
			}
		}
	})
}
