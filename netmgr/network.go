package netmgr

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
)

// Network is one bridge network as stored in the database.
type Network struct {
	ID, Name, Driver string
	Subnet           netip.Prefix
	Gateway          netip.Addr
	Bridge           string
	Internal         bool
	Labels           map[string]string
	// Options are the driver options given at creation (see DockerOptions).
	Options map[string]string
	Created time.Time
}

// CreateOptions describe a new bridge network; a zero Subnet is picked from the
// pool, a zero Gateway is the subnet's first address.
type CreateOptions struct {
	Name     string
	Subnet   netip.Prefix
	Gateway  netip.Addr
	Internal bool
	Labels   map[string]string
	// Options are Docker bridge driver options; only those a berth bridge
	// honours are accepted (ValidateOptions).
	Options map[string]string
}

// DefaultNetwork is the name of the default bridge network.
const DefaultNetwork = "bridge"

var netNameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

// dockerSubnet is docker0's subnet; berth never picks it.
var dockerSubnet = netip.MustParsePrefix("172.17.0.0/16")

// Create makes a bridge network record; the bridge device itself comes up on the
// first Connect. Bad names, subnets and gateways are ErrInvalidArgument; a taken
// name is ErrAlreadyExists.
func (m *Manager) Create(ctx context.Context, o CreateOptions) (*Network, error) {
	if err := ValidateName(o.Name); err != nil {
		return nil, err
	}
	if err := ValidateOptions(o.Options); err != nil {
		return nil, err
	}
	return m.create(ctx, o, "")
}

// MaxNameLen is the longest network name.
const MaxNameLen = 128

// ValidateName checks the name of a new network: Docker's characters
// ([a-zA-Z0-9][a-zA-Z0-9_.-]*), at most MaxNameLen bytes, and none of the
// names of the built-in modes. A bad name is errdefs.ErrInvalidArgument.
func ValidateName(name string) error {
	switch {
	case len(name) > MaxNameLen:
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("network name is %d bytes long; at most %d are allowed", len(name), MaxNameLen))
	case !netNameRe().MatchString(name):
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid network name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name))
	}
	switch name {
	case DefaultNetwork, "host", "none", "default":
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("network name %q is reserved", name))
	}
	return nil
}

// EnsureDefault returns the default "bridge" network, creating its record on first use.
func (m *Manager) EnsureDefault(ctx context.Context) (*Network, error) {
	n, err := m.byName(ctx, DefaultNetwork)
	if err == nil || !errors.Is(err, errdefs.ErrNotFound) {
		return n, err
	}
	n, err = m.create(ctx, CreateOptions{Name: DefaultNetwork}, m.DefaultBridge())
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		return m.byName(ctx, DefaultNetwork)
	}
	return n, err
}

func (m *Manager) create(ctx context.Context, o CreateOptions, bridge string) (*Network, error) {
	if err := checkSubnet(o); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	if bridge == "" {
		bridge = m.opt.Name + "-" + id[:8]
	}
	n := &Network{ID: id, Name: o.Name, Driver: "bridge", Subnet: o.Subnet, Gateway: o.Gateway,
		Bridge: bridge, Internal: o.Internal, Labels: o.Labels, Options: o.Options, Created: time.Now().UTC()}
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	var routes []netip.Prefix
	if !n.Subnet.IsValid() {
		if routes, err = hostRoutes(); err != nil {
			return nil, err
		}
	}
	err = m.writeTx(ctx, func(c *sql.Conn) error {
		return m.insertNetwork(ctx, c, n, routes)
	})
	if err != nil {
		return nil, err
	}
	m.at("net.create.stored")
	return n, nil
}

func checkSubnet(o CreateOptions) error {
	if o.Subnet.IsValid() {
		if !o.Subnet.Addr().Is4() || o.Subnet.Bits() > 30 || o.Subnet.Bits() < 8 {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("subnet %s: want an IPv4 prefix between /8 and /30", o.Subnet))
		}
		if o.Subnet != o.Subnet.Masked() {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("subnet %s: host bits set (did you mean %s?)", o.Subnet, o.Subnet.Masked()))
		}
	}
	if o.Gateway.IsValid() {
		if !o.Subnet.IsValid() {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("gateway %s needs --subnet", o.Gateway))
		}
		if !o.Subnet.Contains(o.Gateway) || o.Gateway == o.Subnet.Addr() || o.Gateway == lastAddr(o.Subnet) {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("gateway %s is not a host address of subnet %s", o.Gateway, o.Subnet))
		}
	}
	return nil
}

func (m *Manager) insertNetwork(ctx context.Context, c *sql.Conn, n *Network, routes []netip.Prefix) error {
	var taken int
	if err := c.QueryRowContext(ctx, `SELECT count(*) FROM net_networks WHERE name = ?`, n.Name).Scan(&taken); err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	if taken > 0 {
		return errdefs.ErrAlreadyExists.WithMessage(fmt.Sprintf("network with name %s already exists", n.Name))
	}
	used, err := subnetsInUse(ctx, c)
	if err != nil {
		return err
	}
	if n.Subnet.IsValid() {
		for _, u := range used {
			if u.Overlaps(n.Subnet) {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("subnet %s overlaps with another network's %s", n.Subnet, u))
			}
		}
	} else if n.Subnet, err = m.pickSubnet(append(used, routes...)); err != nil {
		return err
	}
	if !n.Gateway.IsValid() {
		n.Gateway = n.Subnet.Addr().Next()
	}
	labels, _ := json.Marshal(n.Labels)
	options := []byte("{}")
	if len(n.Options) > 0 {
		options, _ = json.Marshal(n.Options)
	}
	_, err = c.ExecContext(ctx, `INSERT INTO net_networks (id, name, driver, subnet, gateway, bridge, internal, labels, options, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.ID, n.Name, n.Driver, n.Subnet.String(), n.Gateway.String(),
		n.Bridge, n.Internal, string(labels), string(options), n.Created.UnixNano())
	if err != nil {
		return fmt.Errorf("insert network %s: %w", n.Name, err)
	}
	return nil
}

func subnetsInUse(ctx context.Context, c *sql.Conn) ([]netip.Prefix, error) {
	rows, err := c.QueryContext(ctx, `SELECT subnet FROM net_networks`)
	if err != nil {
		return nil, fmt.Errorf("list subnets: %w", err)
	}
	defer rows.Close()
	out := []netip.Prefix{dockerSubnet}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("list subnets: %w", err)
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

// pickSubnet returns the first PoolBits-sized block of the pool that overlaps none of used.
func (m *Manager) pickSubnet(used []netip.Prefix) (netip.Prefix, error) {
	pool := m.opt.Pool.Masked()
	step := uint32(1) << (32 - m.opt.PoolBits)
	base := be32(pool.Addr())
	count := uint32(1) << (m.opt.PoolBits - pool.Bits())
	for i := uint32(0); i < count; i++ {
		cand := netip.PrefixFrom(addr4(base+i*step), m.opt.PoolBits)
		free := true
		for _, u := range used {
			if u.Overlaps(cand) {
				free = false
				break
			}
		}
		if free {
			return cand, nil
		}
	}
	return netip.Prefix{}, errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("no free /%d subnet left in pool %s", m.opt.PoolBits, pool))
}

// Get finds a network by name, full ID or unique ID prefix; "bridge" is the
// default network (created on first use), "host" and "none" the built-in ones.
func (m *Manager) Get(ctx context.Context, ref string) (*Network, error) {
	switch ref {
	case DefaultNetwork:
		return m.EnsureDefault(ctx)
	case HostNetwork, NoneNetwork:
		return m.builtin(ctx, ref)
	}
	if n, err := m.byName(ctx, ref); !errors.Is(err, errdefs.ErrNotFound) {
		return n, err
	}
	all, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var found []Network
	for _, n := range all {
		if n.ID == ref {
			return &n, nil
		}
		if ref != "" && strings.HasPrefix(n.ID, ref) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("network %s not found", ref))
	case 1:
		return &found[0], nil
	}
	return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("network ID prefix %s matches %d networks", ref, len(found)))
}

func (m *Manager) byName(ctx context.Context, name string) (*Network, error) {
	ns, err := m.query(ctx, `WHERE name = ?`, name)
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("network %s not found", name))
	}
	return &ns[0], nil
}

// List returns every network: the bridge networks oldest first, then the
// built-in host and none (as old as the default bridge).
func (m *Manager) List(ctx context.Context) ([]Network, error) {
	ns, err := m.query(ctx, ``)
	if err != nil {
		return nil, err
	}
	bs, err := m.builtins(ctx)
	if err != nil {
		return nil, err
	}
	return append(ns, bs...), nil
}

func (m *Manager) query(ctx context.Context, where string, args ...any) ([]Network, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT id, name, driver, subnet, gateway, bridge, internal, labels, options, created
		FROM net_networks `+where+` ORDER BY created`, args...)
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	defer rows.Close()
	var out []Network
	for rows.Next() {
		var n Network
		var subnet, gw, labels, options string
		var created int64
		if err := rows.Scan(&n.ID, &n.Name, &n.Driver, &subnet, &gw, &n.Bridge, &n.Internal, &labels, &options, &created); err != nil {
			return nil, fmt.Errorf("list networks: %w", err)
		}
		n.Subnet, _ = netip.ParsePrefix(subnet)
		n.Gateway, _ = netip.ParseAddr(gw)
		_ = json.Unmarshal([]byte(labels), &n.Labels)
		_ = json.Unmarshal([]byte(options), &n.Options)
		n.Created = time.Unix(0, created).UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// Remove deletes a network, its bridge and its nftables rules. Attached
// containers make it ErrConflict; the pre-defined networks (bridge, host,
// none) cannot be removed (ErrInvalidArgument).
func (m *Manager) Remove(ctx context.Context, ref string) error {
	n, err := m.Get(ctx, ref)
	if err != nil {
		return err
	}
	if Predefined(n.Name) {
		return errdefs.ErrInvalidArgument.WithMessage(n.Name + " is a pre-defined network and cannot be removed")
	}
	return m.remove(ctx, n)
}

// RemoveAll removes every bridge network of this manager, the default one
// too, with its bridge and rules: for tearing a whole data root down (tests,
// uninstall). Networks that still have endpoints are refused (ErrConflict).
func (m *Manager) RemoveAll(ctx context.Context) error {
	ns, err := m.query(ctx, ``)
	if err != nil {
		return err
	}
	var errs []error
	for i := range ns {
		errs = append(errs, m.remove(ctx, &ns[i]))
	}
	return errors.Join(errs...)
}

func (m *Manager) remove(ctx context.Context, n *Network) error {
	err := m.writeTx(ctx, func(c *sql.Conn) error {
		var eps int
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM net_endpoints WHERE network_id = ?`, n.ID).Scan(&eps); err != nil {
			return fmt.Errorf("network %s endpoints: %w", n.Name, err)
		}
		if eps > 0 {
			return errdefs.ErrConflict.WithMessage(fmt.Sprintf("network %s has %d active endpoints", n.Name, eps))
		}
		if _, err := c.ExecContext(ctx, `DELETE FROM net_networks WHERE id = ?`, n.ID); err != nil {
			return fmt.Errorf("delete network %s: %w", n.Name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.at("net.rm.row-deleted")
	return m.teardownBridge(n)
}

// Prune removes every user-defined network without endpoints and returns their names.
func (m *Manager) Prune(ctx context.Context) ([]string, error) {
	all, err := m.query(ctx, ``)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, n := range all {
		if Predefined(n.Name) {
			continue
		}
		err := m.Remove(ctx, n.ID)
		if errors.Is(err, errdefs.ErrConflict) || errors.Is(err, errdefs.ErrNotFound) {
			continue
		}
		if err != nil {
			return removed, err
		}
		removed = append(removed, n.Name)
	}
	return removed, nil
}

func newID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func be32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func lastAddr(p netip.Prefix) netip.Addr {
	return addr4(be32(p.Masked().Addr()) | (1<<(32-p.Bits()) - 1))
}
