package netmgr

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// Chains of berth's table: nat at prerouting/output (DNAT) and postrouting
// (masquerade), filter at forward (isolation and --internal).
const (
	chainPre  = "prerouting"
	chainOut  = "output"
	chainPost = "postrouting"
	chainFwd  = "forward"
)

func netTag(id string) string { return "berth net:" + id }
func ctrTag(id string) string { return "berth ctr:" + id }

func (m *Manager) table() *nftables.Table {
	return &nftables.Table{Family: nftables.TableFamilyIPv4, Name: m.opt.Name}
}

func (m *Manager) chain(name string) *nftables.Chain {
	return &nftables.Chain{Name: name, Table: m.table()}
}

// ensureBase adds (idempotently) berth's table and base chains to the batch.
func (m *Manager) ensureBase(c *nftables.Conn) {
	t := c.AddTable(m.table())
	accept := nftables.ChainPolicyAccept
	base := []struct {
		name string
		typ  nftables.ChainType
		hook *nftables.ChainHook
		prio *nftables.ChainPriority
	}{
		{chainPre, nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest},
		{chainOut, nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest},
		{chainPost, nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource},
		{chainFwd, nftables.ChainTypeFilter, nftables.ChainHookForward, nftables.ChainPriorityFilter},
	}
	for _, b := range base {
		c.AddChain(&nftables.Chain{Name: b.name, Table: t, Type: b.typ, Hooknum: b.hook, Priority: b.prio, Policy: &accept})
	}
}

func rule(t *nftables.Table, chain, tag string, exprs ...expr.Any) *nftables.Rule {
	return &nftables.Rule{Table: t, Chain: &nftables.Chain{Name: chain, Table: t}, Exprs: exprs,
		UserData: userdata.AppendString(nil, userdata.TypeComment, tag)}
}

func ruleTag(r *nftables.Rule) string {
	s, _ := userdata.GetString(r.UserData, userdata.TypeComment)
	return s
}

// ifname matches (or, with neq, does not match) an interface name; a trailing "*"
// matches a prefix, as iptables' "+".
func ifname(key expr.MetaKey, name string, neq bool) []expr.Any {
	data := []byte(name + "\x00")
	if p, ok := strings.CutSuffix(name, "*"); ok {
		data = []byte(p)
	}
	op := expr.CmpOpEq
	if neq {
		op = expr.CmpOpNeq
	}
	return []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: op, Register: 1, Data: data}}
}

// ipMatch matches the source (src) or destination address against a prefix.
func ipMatch(src bool, p netip.Prefix, neq bool) []expr.Any {
	off := uint32(16)
	if src {
		off = 12
	}
	op := expr.CmpOpEq
	if neq {
		op = expr.CmpOpNeq
	}
	out := []expr.Any{&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4}}
	if p.Bits() < 32 {
		mask := addr4(^uint32(0) << (32 - p.Bits())).AsSlice()
		out = append(out, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}})
	}
	return append(out, &expr.Cmp{Op: op, Register: 1, Data: p.Masked().Addr().AsSlice()})
}

// l4port matches the layer 4 protocol and destination port.
func l4port(proto string, port uint16) []expr.Any {
	p := byte(unix.IPPROTO_TCP)
	if proto == "udp" {
		p = unix.IPPROTO_UDP
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{p}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(port)},
	}
}

func cat(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// hasRules reports whether chain holds a rule tagged tag.
func (m *Manager) hasRules(c *nftables.Conn, chain, tag string) bool {
	rs, err := c.GetRules(m.table(), m.chain(chain))
	if err != nil {
		return false
	}
	for _, r := range rs {
		if ruleTag(r) == tag {
			return true
		}
	}
	return false
}

// ensureNetworkRules installs the network's masquerade, isolation and --internal
// rules (and the Docker FORWARD accept rules) unless they are already there.
func (m *Manager) ensureNetworkRules(n *Network) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	tag := netTag(n.ID)
	if m.hasRules(c, chainFwd, tag) {
		return nil // no batch: every nftables commit costs a few milliseconds
	}
	m.ensureBase(c)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables table %s: %w", m.opt.Name, err)
	}
	if m.hasRules(c, chainFwd, tag) {
		return nil
	}
	t := m.table()
	br := n.Bridge
	// Other berth bridges are not reachable from this one.
	c.AddRule(rule(t, chainFwd, tag, cat(ifname(expr.MetaKeyIIFNAME, br, false),
		ifname(expr.MetaKeyOIFNAME, m.opt.Name+"*", false), ifname(expr.MetaKeyOIFNAME, br, true),
		[]expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}})...))
	if n.Internal {
		c.AddRule(rule(t, chainFwd, tag, cat(ifname(expr.MetaKeyIIFNAME, br, false),
			ifname(expr.MetaKeyOIFNAME, br, true), []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}})...))
		c.AddRule(rule(t, chainFwd, tag, cat(ifname(expr.MetaKeyOIFNAME, br, false),
			ifname(expr.MetaKeyIIFNAME, br, true), []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}})...))
	} else {
		c.AddRule(rule(t, chainPost, tag, cat(ipMatch(true, n.Subnet, false),
			ifname(expr.MetaKeyOIFNAME, br, true), []expr.Any{&expr.Masq{}})...))
		m.dockerCompat(c, br, tag)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables rules for %s: %w", n.Bridge, err)
	}
	return nil
}

// dockerCompat adds accept rules for the bridge to the FORWARD chain of the ip
// "filter" table when that chain drops by default (dockerd sets it so): in
// nftables a drop in any base chain wins, so berth's own table cannot let the
// bridge's traffic through by itself. The rules carry berth's tag and are the only
// change berth makes outside its own table.
func (m *Manager) dockerCompat(c *nftables.Conn, br, tag string) {
	ft := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: m.opt.DockerCompat}
	fw, err := c.ListChain(ft, "FORWARD")
	if err != nil || fw.Policy == nil || *fw.Policy != nftables.ChainPolicyDrop {
		return
	}
	accept := []expr.Any{&expr.Verdict{Kind: expr.VerdictAccept}}
	c.InsertRule(rule(ft, "FORWARD", tag, cat(ifname(expr.MetaKeyIIFNAME, br, false), accept)...))
	c.InsertRule(rule(ft, "FORWARD", tag, cat(ifname(expr.MetaKeyOIFNAME, br, false), accept)...))
}

// deleteRules removes every rule tagged tag from berth's chains and the Docker
// FORWARD chain; the caller holds m.lock.
func (m *Manager) deleteRules(tag string) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	chains := []*nftables.Chain{m.chain(chainPre), m.chain(chainOut), m.chain(chainPost), m.chain(chainFwd),
		{Name: "FORWARD", Table: &nftables.Table{Family: nftables.TableFamilyIPv4, Name: m.opt.DockerCompat}}}
	n := 0
	for _, ch := range chains {
		rs, err := c.GetRules(ch.Table, ch)
		if err != nil {
			continue // table or chain absent
		}
		for _, r := range rs {
			if ruleTag(r) == tag {
				if err := c.DelRule(r); err != nil {
					return fmt.Errorf("nftables delete rule %s: %w", tag, err)
				}
				n++
			}
		}
	}
	if n == 0 {
		return m.dropEmptyTable()
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables delete rules %s: %w", tag, err)
	}
	return m.dropEmptyTable()
}

// dropEmptyTable deletes berth's table once no rule is left in it, so a host
// without berth networks carries no berth state.
func (m *Manager) dropEmptyTable() error {
	tags, err := m.allTags()
	if err != nil || len(tags) > 0 {
		return err
	}
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	if _, err := c.ListTableOfFamily(m.opt.Name, nftables.TableFamilyIPv4); err != nil {
		return nil
	}
	c.DelTable(m.table())
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables delete table %s: %w", m.opt.Name, err)
	}
	return nil
}

// allTags returns the tags of every rule in berth's table (for Reconcile).
func (m *Manager) allTags() (map[string]bool, error) {
	// One netlink socket for the four listings (each would dial its own).
	c, err := nftables.New(nftables.AsLasting())
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	defer c.CloseLasting()
	out := map[string]bool{}
	for _, ch := range []string{chainPre, chainOut, chainPost, chainFwd} {
		rs, err := c.GetRules(m.table(), m.chain(ch))
		if err != nil {
			continue
		}
		for _, r := range rs {
			out[ruleTag(r)] = true
		}
	}
	return out, nil
}
