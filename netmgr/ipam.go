package netmgr

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/containerd/errdefs"
)

// lease reserves the endpoint (address, interface name, host veth name) of a
// container on a network in one write transaction, so no address is handed out
// twice even by several processes at once.
func (m *Manager) lease(ctx context.Context, n *Network, ctr, nsPath string, o ConnectOptions) (*Endpoint, error) {
	ep := &Endpoint{NetworkID: n.ID, NetworkName: n.Name, ContainerID: ctr, Prefix: n.Subnet.Bits(),
		Gateway: n.Gateway, Aliases: o.Aliases}
	if err := checkAliases(o.Aliases); err != nil {
		return nil, err
	}
	ep.MAC = o.MAC.String()
	if len(o.MAC) == 0 {
		ep.MAC = randomMAC().String()
	} else if len(o.MAC) != 6 || o.MAC[0]&1 == 1 {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("mac address %s: want a unicast ethernet address", o.MAC))
	}
	sum := sha256.Sum256([]byte(n.ID + "/" + ctr))
	ep.HostVeth = "v" + m.opt.Name + hex.EncodeToString(sum[:])[:8]
	err := m.writeTx(ctx, func(c *sql.Conn) error {
		var exists int
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM net_networks WHERE id = ?`, n.ID).Scan(&exists); err != nil || exists == 0 {
			return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("network %s not found", n.Name))
		}
		rows, err := leaseRows(ctx, c, n.ID, ctr)
		if err != nil {
			return err
		}
		if err := rows.check(ep, n); err != nil {
			return err
		}
		if ep.IP, err = pickAddr(n, rows.ips, o.IP); err != nil {
			return err
		}
		ep.IfName = rows.freeIfName()
		aliases, _ := json.Marshal(ep.Aliases)
		_, err = c.ExecContext(ctx, `INSERT INTO net_endpoints (network_id, container_id, ifname, host_veth, ip, mac, aliases, is_primary, ns_path)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.ID, ctr, ep.IfName, ep.HostVeth, ep.IP.String(), ep.MAC, string(aliases), o.Primary, nsPath)
		if err != nil {
			return fmt.Errorf("lease on %s: %w", n.Name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ep, nil
}

func checkAliases(aliases []string) error {
	for i, a := range aliases {
		if !netNameRe().MatchString(a) {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("alias %q: invalid", a))
		}
		if slices.Contains(aliases[:i], a) {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("alias %q given twice", a))
		}
	}
	return nil
}

// leaseState is what one network and one container already hold.
type leaseState struct {
	ips      map[netip.Addr]bool
	ifnames  map[string]bool
	attached bool
}

func leaseRows(ctx context.Context, c *sql.Conn, netID, ctr string) (*leaseState, error) {
	st := &leaseState{ips: map[netip.Addr]bool{}, ifnames: map[string]bool{}}
	rows, err := c.QueryContext(ctx, `SELECT network_id, container_id, ifname, ip FROM net_endpoints
		WHERE network_id = ? OR container_id = ?`, netID, ctr)
	if err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var nid, cid, ifn, ip string
		if err := rows.Scan(&nid, &cid, &ifn, &ip); err != nil {
			return nil, fmt.Errorf("read leases: %w", err)
		}
		if cid == ctr {
			st.ifnames[ifn] = true
			st.attached = st.attached || nid == netID
		}
		if nid == netID {
			a, _ := netip.ParseAddr(ip)
			st.ips[a] = true
		}
	}
	return st, rows.Err()
}

func (st *leaseState) check(ep *Endpoint, n *Network) error {
	if st.attached {
		return errdefs.ErrAlreadyExists.WithMessage(fmt.Sprintf("container %s is already connected to network %s", short(ep.ContainerID), n.Name))
	}
	// Aliases may be shared, as in Docker: the name then resolves to every
	// container that has it (docker-compose gives each replica of a service
	// the service's name, and a recreated container the old one's).
	return nil
}

func (st *leaseState) freeIfName() string {
	for i := 0; ; i++ {
		if name := "eth" + strconv.Itoa(i); !st.ifnames[name] {
			return name
		}
	}
}

// pickAddr returns want when it is a free host address of the subnet, or else
// the lowest free one.
func pickAddr(n *Network, used map[netip.Addr]bool, want netip.Addr) (netip.Addr, error) {
	first, last := n.Subnet.Masked().Addr(), lastAddr(n.Subnet)
	if want.IsValid() {
		if !n.Subnet.Contains(want) || want == first || want == last || want == n.Gateway {
			return netip.Addr{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("address %s is not a free host address of %s (%s)", want, n.Name, n.Subnet))
		}
		if used[want] {
			return netip.Addr{}, errdefs.ErrConflict.WithMessage(fmt.Sprintf("address %s is already in use on network %s", want, n.Name))
		}
		return want, nil
	}
	for a := first.Next(); a.IsValid() && a != last; a = a.Next() {
		if a != n.Gateway && !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("no free address left on network %s (%s)", n.Name, n.Subnet))
}

func randomMAC() net.HardwareAddr {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	b[0] = b[0]&^1 | 2 // unicast, locally administered
	return b
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// unlease drops an endpoint's row.
func (m *Manager) unlease(ctx context.Context, netID, ctr string) error {
	return m.writeTx(ctx, func(c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `DELETE FROM net_endpoints WHERE network_id = ? AND container_id = ?`, netID, ctr)
		if err != nil {
			return fmt.Errorf("release lease of %s: %w", short(ctr), err)
		}
		return nil
	})
}
