package xray

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// berthChains are the chains of berth's table, in packet order.
var berthChains = []string{"prerouting", "output", "forward", "postrouting"}

// RulesFor lists the rules of berth's nftables table (family ip) whose
// comment names the container ("ctr:<id>") or one of its networks
// ("net:<id>"). A missing table or chain has no rules.
func RulesFor(table, containerID string, networkIDs []string) ([]Rule, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	tags := []string{"ctr:" + containerID}
	for _, id := range networkIDs {
		if id != "" {
			tags = append(tags, "net:"+id)
		}
	}
	t := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: table}
	var out []Rule
	for _, ch := range berthChains {
		rs, err := c.GetRules(t, &nftables.Chain{Name: ch, Table: t})
		if err != nil {
			continue // table or chain absent: no rules
		}
		for _, r := range rs {
			comment, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			if !hasAnySuffix(comment, tags) {
				continue
			}
			s, kind := Summarize(r.Exprs)
			out = append(out, Rule{Chain: ch, Comment: comment, Expr: s, Kind: kind})
		}
	}
	return out, nil
}

func hasAnySuffix(s string, tags []string) bool {
	for _, t := range tags {
		if strings.HasSuffix(s, t) {
			return true
		}
	}
	return false
}

// reg is what a register holds while a rule is summarised.
type reg struct {
	what string // "iifname", "ip saddr", "l4proto", "dport", "fib", "addr", "port"
	mask int    // prefix bits from a bitwise mask (-1 none)
	data []byte // an immediate
}

// Summarize renders a rule's expressions in nft's words (for the kinds of
// rules berth makes: interface, address, protocol, port and address-type
// matches, DNAT, masquerade, verdicts) and names what it does: dnat,
// masquerade, drop, accept or "" when it only matches. Expressions it does
// not know show as their type.
func Summarize(exprs []expr.Any) (string, string) {
	regs := map[uint32]*reg{}
	var parts []string
	kind := ""
	for _, e := range exprs {
		switch e := e.(type) {
		case *expr.Meta:
			regs[e.Register] = &reg{what: metaName(e.Key), mask: -1}
		case *expr.Payload:
			regs[e.DestRegister] = &reg{what: payloadName(e), mask: -1}
		case *expr.Fib:
			regs[e.Register] = &reg{what: "fib daddr type", mask: -1}
		case *expr.Bitwise:
			if r := regs[e.SourceRegister]; r != nil {
				r.mask = maskBits(e.Mask)
				regs[e.DestRegister] = r
			}
		case *expr.Immediate:
			regs[e.Register] = &reg{data: e.Data, mask: -1}
		case *expr.Cmp:
			parts = append(parts, cmpText(regs[e.Register], e))
		case *expr.NAT:
			kind = "dnat"
			if e.Type == expr.NATTypeSourceNAT {
				kind = "snat"
			}
			parts = append(parts, kind+" to "+natTarget(regs[e.RegAddrMin], regs[e.RegProtoMin]))
		case *expr.Masq:
			kind = "masquerade"
			parts = append(parts, "masquerade")
		case *expr.Verdict:
			v := verdictName(e.Kind)
			kind = v
			parts = append(parts, v)
		case *expr.Counter:
			parts = append(parts, fmt.Sprintf("counter packets %d", e.Packets))
		default:
			parts = append(parts, fmt.Sprintf("<%T>", e))
		}
	}
	return strings.Join(parts, " "), kind
}

func metaName(k expr.MetaKey) string {
	switch k {
	case expr.MetaKeyIIFNAME:
		return "iifname"
	case expr.MetaKeyOIFNAME:
		return "oifname"
	case expr.MetaKeyL4PROTO:
		return "l4proto"
	}
	return "meta " + strconv.Itoa(int(k))
}

func payloadName(p *expr.Payload) string {
	switch {
	case p.Base == expr.PayloadBaseNetworkHeader && p.Offset == 12 && p.Len == 4:
		return "ip saddr"
	case p.Base == expr.PayloadBaseNetworkHeader && p.Offset == 16 && p.Len == 4:
		return "ip daddr"
	case p.Base == expr.PayloadBaseTransportHeader && p.Offset == 2 && p.Len == 2:
		return "dport"
	case p.Base == expr.PayloadBaseTransportHeader && p.Offset == 0 && p.Len == 2:
		return "sport"
	}
	return fmt.Sprintf("payload %d+%d", p.Offset, p.Len)
}

func maskBits(m []byte) int {
	n := 0
	for _, b := range m {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) == 0 {
				return n
			}
			n++
		}
	}
	return n
}

func cmpText(r *reg, c *expr.Cmp) string {
	op := ""
	if c.Op == expr.CmpOpNeq {
		op = "!= "
	}
	if r == nil {
		return op + fmt.Sprintf("%x", c.Data)
	}
	switch r.what {
	case "iifname", "oifname":
		name := strings.TrimSuffix(string(c.Data), "\x00")
		if len(c.Data) > 0 && c.Data[len(c.Data)-1] != 0 {
			name += "*"
		}
		return r.what + " " + op + strconv.Quote(name)
	case "l4proto":
		if len(c.Data) == 1 {
			switch c.Data[0] {
			case unix.IPPROTO_TCP:
				return op + "tcp"
			case unix.IPPROTO_UDP:
				return op + "udp"
			}
		}
	case "ip saddr", "ip daddr":
		if a, ok := netip.AddrFromSlice(c.Data); ok {
			s := a.String()
			if r.mask >= 0 && r.mask < 32 {
				s += "/" + strconv.Itoa(r.mask)
			}
			return r.what + " " + op + s
		}
	case "dport", "sport":
		if len(c.Data) == 2 {
			return r.what + " " + op + strconv.Itoa(int(binary.BigEndian.Uint16(c.Data)))
		}
	case "fib daddr type":
		if len(c.Data) == 4 && binary.NativeEndian.Uint32(c.Data) == unix.RTN_LOCAL {
			return r.what + " " + op + "local"
		}
	}
	return r.what + " " + op + fmt.Sprintf("%x", c.Data)
}

func natTarget(addr, port *reg) string {
	s := "?"
	if addr != nil {
		if a, ok := netip.AddrFromSlice(addr.data); ok {
			s = a.String()
		}
	}
	if port != nil && len(port.data) == 2 {
		s += ":" + strconv.Itoa(int(binary.BigEndian.Uint16(port.data)))
	}
	return s
}

func verdictName(k expr.VerdictKind) string {
	switch k {
	case expr.VerdictAccept:
		return "accept"
	case expr.VerdictDrop:
		return "drop"
	case expr.VerdictReturn:
		return "return"
	}
	return "verdict " + strconv.Itoa(int(k))
}
