package netmgr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"

	"github.com/containerd/errdefs"
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

var loopback8 = netip.MustParsePrefix("127.0.0.0/8")

// Publish makes the container at ip reachable through host ports: it checks each
// requested host port is free (failing with ErrConflict "port 8080/tcp is already
// in use" before anything is made), picks free ports for zero HostPorts, and adds
// DNAT rules for traffic to the host's addresses (see addPortRules) plus hairpin
// masquerade. A HostIP of 0.0.0.0 means every address, as no HostIP does. It
// returns the final mappings.
func (m *Manager) Publish(ctx context.Context, containerID string, ip netip.Addr, ports []PortMapping) ([]PortMapping, error) {
	if !ip.Is4() {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("publish: container address %s is not IPv4", ip))
	}
	final, err := reservePorts(everyAddress(ports))
	if err != nil {
		return nil, err
	}
	err = m.writeTx(ctx, func(c *sql.Conn) error { return insertPorts(ctx, c, containerID, ip, final) })
	if err != nil {
		return nil, err
	}
	if err := m.addPortRules(containerID, ip, final); err != nil {
		return nil, errors.Join(err, m.Unpublish(context.WithoutCancel(ctx), containerID))
	}
	return final, nil
}

// everyAddress returns ports with the IPv4 wildcard 0.0.0.0 (Docker's way of
// writing "every address", which `-p 8080:80` becomes in a PortMap) turned
// into the zero HostIP, so that it is published, stored and matched as every
// address rather than as the literal address 0.0.0.0, which no packet has.
func everyAddress(ports []PortMapping) []PortMapping {
	out := make([]PortMapping, len(ports))
	for i, p := range ports {
		if p.HostIP.Is4() && p.HostIP.IsUnspecified() {
			p.HostIP = netip.Addr{}
		}
		out[i] = p
	}
	return out
}

// reservePorts binds each host port to prove it free (and to pick random ones),
// then lets them all go.
func reservePorts(ports []PortMapping) ([]PortMapping, error) {
	var held []io.Closer
	defer func() {
		for _, h := range held {
			h.Close()
		}
	}()
	out := make([]PortMapping, len(ports))
	for i, p := range ports {
		if p.Proto != "tcp" && p.Proto != "udp" || p.ContainerPort == 0 {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("publish %d/%s: invalid mapping", p.ContainerPort, p.Proto))
		}
		host := ""
		if p.HostIP.IsValid() {
			host = p.HostIP.String()
		}
		addr := net.JoinHostPort(host, strconv.Itoa(int(p.HostPort)))
		var c io.Closer
		var port int
		var err error
		if p.Proto == "tcp" {
			var l net.Listener
			if l, err = net.Listen("tcp", addr); err == nil {
				c, port = l, l.Addr().(*net.TCPAddr).Port
			}
		} else {
			var l net.PacketConn
			if l, err = net.ListenPacket("udp", addr); err == nil {
				c, port = l, l.LocalAddr().(*net.UDPAddr).Port
			}
		}
		if err != nil {
			return nil, errdefs.ErrConflict.WithMessage(bindError(p, err))
		}
		held = append(held, c)
		p.HostPort = uint16(port)
		out[i] = p
	}
	return out, nil
}

func insertPorts(ctx context.Context, c *sql.Conn, ctr string, ip netip.Addr, ports []PortMapping) error {
	for _, p := range ports {
		var taken int
		err := c.QueryRowContext(ctx, `SELECT count(*) FROM net_ports WHERE host_port = ? AND proto = ?
			AND (host_ip = ? OR host_ip = '' OR ? = '')`, p.HostPort, p.Proto, hostIP(p), hostIP(p)).Scan(&taken)
		if err != nil {
			return fmt.Errorf("check port %d/%s: %w", p.HostPort, p.Proto, err)
		}
		if taken > 0 { // dockerd's words
			return errdefs.ErrConflict.WithMessage(fmt.Sprintf("Bind for %s failed: port is already allocated", bindAddr(p)))
		}
		_, err = c.ExecContext(ctx, `INSERT INTO net_ports (container_id, host_ip, host_port, container_ip, container_port, proto)
			VALUES (?, ?, ?, ?, ?, ?)`, ctr, hostIP(p), p.HostPort, ip.String(), p.ContainerPort, p.Proto)
		if err != nil {
			return fmt.Errorf("record port %d/%s: %w", p.HostPort, p.Proto, err)
		}
	}
	return nil
}

func hostIP(p PortMapping) string {
	if p.HostIP.IsValid() {
		return p.HostIP.String()
	}
	return ""
}

// Published returns a container's published ports.
func (m *Manager) Published(ctx context.Context, containerID string) ([]PortMapping, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT host_ip, host_port, container_port, proto FROM net_ports
		WHERE container_id = ? ORDER BY container_port, proto`, containerID)
	if err != nil {
		return nil, fmt.Errorf("list ports: %w", err)
	}
	defer rows.Close()
	var out []PortMapping
	for rows.Next() {
		var p PortMapping
		var hip string
		if err := rows.Scan(&hip, &p.HostPort, &p.ContainerPort, &p.Proto); err != nil {
			return nil, fmt.Errorf("list ports: %w", err)
		}
		p.HostIP, _ = netip.ParseAddr(hip)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Unpublish removes a container's published ports and their rules.
func (m *Manager) Unpublish(ctx context.Context, containerID string) error {
	err := m.writeTx(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, `DELETE FROM net_ports WHERE container_id = ?`, containerID); err != nil {
			return fmt.Errorf("delete ports of %s: %w", short(containerID), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return m.deleteRules(ctrTag(containerID))
}

// addPortRules DNATs each port as Docker does: in prerouting for traffic from
// outside and from other namespaces, in output for the host's own traffic, to
// any local address (fib daddr type local) or to the one HostIP. It leaves
// alone what the kernel cannot forward, which the userland proxy (listening on
// the published address) serves instead: 127.0.0.0/8, which a DNATed packet
// cannot leave, and traffic from berth's bridges, whose replies would take the
// bridge's short way back past the NAT (Docker's `! -i docker0`). Ports on
// loopback or IPv6 host addresses get no rules.
func (m *Manager) addPortRules(ctr string, ip netip.Addr, ports []PortMapping) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	m.ensureBase(c)
	t, tag := m.table(), ctrTag(ctr)
	notBerth := ifname(expr.MetaKeyIIFNAME, m.opt.Name+"*", true)
	for _, p := range ports {
		if p.HostIP.IsValid() && (!p.HostIP.Is4() || p.HostIP.IsLoopback()) {
			continue // only the userland proxy serves these
		}
		dst := []expr.Any{&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)}}
		if p.HostIP.IsValid() {
			dst = ipMatch(false, netip.PrefixFrom(p.HostIP, 32), false)
		}
		dnat := []expr.Any{
			&expr.Immediate{Register: 1, Data: ip.AsSlice()},
			&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(p.ContainerPort)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2},
		}
		match := l4port(p.Proto, p.HostPort)
		c.AddRule(rule(t, chainPre, tag, cat(notBerth, dst, match, dnat)...))
		c.AddRule(rule(t, chainOut, tag, cat(ipMatch(false, loopback8, true), dst, match, dnat)...))
		// Docker's hairpin masquerade (a container reaching its own port): with
		// bridge traffic left to the proxy it only matters if that ever changes.
		self := netip.PrefixFrom(ip, 32)
		c.AddRule(rule(t, chainPost, tag, cat(ipMatch(true, self, false), ipMatch(false, self, false),
			l4port(p.Proto, p.ContainerPort), []expr.Any{&expr.Masq{}})...))
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables port rules for %s: %w", short(ctr), err)
	}
	return nil
}

// bindAddr is where a mapping's host port is bound, as dockerd writes it
// (0.0.0.0 for every address).
func bindAddr(p PortMapping) string {
	host := "0.0.0.0"
	if p.HostIP.IsValid() {
		host = p.HostIP.String()
	}
	return net.JoinHostPort(host, strconv.Itoa(int(p.HostPort)))
}

// bindError is a failed bind of a host port in dockerd's words ("Error
// starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already
// in use").
func bindError(p PortMapping, err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	family := "4"
	if p.HostIP.Is6() {
		family = "6"
	}
	return fmt.Sprintf("Error starting userland proxy: listen %s%s %s: bind: %v", p.Proto, family, bindAddr(p), err)
}
