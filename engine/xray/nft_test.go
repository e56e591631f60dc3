package xray

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TestSummarize renders the kinds of rules netmgr installs.
func TestSummarize(t *testing.T) {
	iif := func(name string, op expr.CmpOp, key expr.MetaKey) []expr.Any {
		return []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: op, Register: 1, Data: []byte(name)}}
	}
	port := make([]byte, 2)
	binary.BigEndian.PutUint16(port, 8080)
	cport := make([]byte, 2)
	binary.BigEndian.PutUint16(cport, 80)
	local := make([]byte, 4)
	binary.NativeEndian.PutUint32(local, unix.RTN_LOCAL)
	cases := []struct {
		name  string
		exprs []expr.Any
		want  string
		kind  string
	}{
		{"dnat", []expr.Any{
			&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true}, &expr.Cmp{Register: 1, Data: local},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Register: 1, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2}, &expr.Cmp{Register: 1, Data: port},
			&expr.Immediate{Register: 1, Data: []byte{10, 213, 0, 2}}, &expr.Immediate{Register: 2, Data: cport},
			&expr.NAT{Type: expr.NATTypeDestNAT, RegAddrMin: 1, RegProtoMin: 2},
		}, "fib daddr type local tcp dport 8080 dnat to 10.213.0.2:80", "dnat"},
		{"masquerade", append([]expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{255, 255, 255, 0}, Xor: []byte{0, 0, 0, 0}},
			&expr.Cmp{Register: 1, Data: []byte{10, 213, 0, 0}}},
			append(iif("berth0\x00", expr.CmpOpNeq, expr.MetaKeyOIFNAME), &expr.Masq{})...),
			`ip saddr 10.213.0.0/24 oifname != "berth0" masquerade`, "masquerade"},
		{"isolation", append(append(iif("berth0\x00", expr.CmpOpEq, expr.MetaKeyIIFNAME), iif("berth", expr.CmpOpEq, expr.MetaKeyOIFNAME)...),
			&expr.Verdict{Kind: expr.VerdictDrop}), `iifname "berth0" oifname "berth*" drop`, "drop"},
		{"unknown", []expr.Any{&expr.Log{}}, "<*expr.Log>", ""},
		{"empty", nil, "", ""},
	}
	for _, c := range cases {
		got, kind := Summarize(c.exprs)
		if got != c.want || kind != c.kind {
			t.Errorf("%s: Summarize = %q, %q; want %q, %q", c.name, got, kind, c.want, c.kind)
		}
	}
}

// TestRoutesInSelf reads this process's namespace's routes over netlink and
// compares them with /proc/net/route (the main IPv4 table).
func TestRoutesInSelf(t *testing.T) {
	rs, err := RoutesIn("/proc/self/ns/net")
	if err != nil {
		t.Skipf("netlink: %v", err)
	}
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		t.Skip(err)
	}
	want := len(strings.Split(strings.TrimSpace(string(b)), "\n")) - 1
	if len(rs) != want {
		t.Errorf("RoutesIn: %d routes %+v, /proc/net/route has %d", len(rs), rs, want)
	}
	for _, r := range rs {
		if r.Dev == "" || r.Dst == "" {
			t.Errorf("route without device or destination: %+v", r)
		}
	}
	if _, err := RoutesIn("/nonexistent"); err == nil {
		t.Error("RoutesIn on a missing path: no error")
	}
}

// TestRulesForMissingTable finds no rules in a table that does not exist.
func TestRulesForMissingTable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("nftables needs root")
	}
	rs, err := RulesFor("bxnone", "0123", []string{"abcd"})
	if err != nil || len(rs) != 0 {
		t.Errorf("RulesFor(missing) = %+v, %v", rs, err)
	}
}
