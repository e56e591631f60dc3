// Package netmgr gives berth containers their networks: Linux bridges with an IPAM
// kept in the engine's SQLite database, named network namespaces, veth pairs,
// masquerade and published-port DNAT rules in berth's own nftables table. It talks
// to the kernel over netlink only (github.com/vishvananda/netlink and
// github.com/google/nftables) and never shells out.
//
// Several berth processes may use one database at once: address leases are taken in
// write transactions, and kernel changes that several processes share (bridges,
// per-network rules) are made under a file lock in the run directory.
package netmgr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// Options tune a Manager; the zero value gives berth's production names.
type Options struct {
	// Name prefixes everything berth makes in the kernel: the nftables table (ip
	// <Name>), the default bridge (<Name>0), user bridges (<Name>-<hex>) and host
	// veths (v<Name><hex>). At most 6 lowercase letters or digits; default "berth".
	Name string
	// Pool is the range user and default subnets are carved from (default
	// 10.213.0.0/16); PoolBits is the size of each (default 24).
	Pool     netip.Prefix
	PoolBits int
	// DockerCompat names the table (family ip) whose FORWARD chain, when its policy
	// is drop, gets berth's accept rules for its bridges; default "filter".
	DockerCompat string
	// Fault, when set, is called at the named points between the steps of
	// network changes ("net.connect.leased" …); berth's engine passes its
	// kill-anywhere fault (package berth/engine/fault) so that a test can
	// kill the process there.
	Fault func(point string)
}

// at calls the fault hook at a named point.
func (m *Manager) at(point string) {
	if m.opt.Fault != nil {
		m.opt.Fault(point)
	}
}

// Manager creates networks and wires containers into them.
type Manager struct {
	db     *sql.DB
	runDir string
	opt    Options
}

var nameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]{1,6}$`) })

// Open prepares the net_ tables in db (opened by the caller with the "sqlite"
// driver, WAL on) and the run directory that holds named namespaces.
func Open(db *sql.DB, runDir string) (*Manager, error) {
	return OpenWith(db, runDir, Options{})
}

// OpenWith is Open with explicit Options (tests use their own names and pools).
func OpenWith(db *sql.DB, runDir string, opt Options) (*Manager, error) {
	if opt.Name == "" {
		opt.Name = "berth"
	}
	if !nameRe().MatchString(opt.Name) {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("netmgr name %q: want 1-6 lowercase letters or digits", opt.Name))
	}
	if !opt.Pool.IsValid() {
		opt.Pool = netip.MustParsePrefix("10.213.0.0/16")
	}
	if opt.PoolBits == 0 {
		opt.PoolBits = 24
	}
	if opt.PoolBits < opt.Pool.Bits() || opt.PoolBits > 30 {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid netmgr pool %s/%d", opt.Pool, opt.PoolBits))
	}
	if opt.DockerCompat == "" {
		opt.DockerCompat = "filter"
	}
	if err := os.MkdirAll(filepath.Join(runDir, "netns"), 0o755); err != nil {
		return nil, fmt.Errorf("netmgr run dir: %w", err)
	}
	m := &Manager{db: db, runDir: runDir, opt: opt}
	if err := m.migrate(context.Background()); err != nil {
		return nil, err
	}
	return m, nil
}

// DefaultBridge is the device name of the default "bridge" network.
func (m *Manager) DefaultBridge() string { return m.opt.Name + "0" }

// TableName is the name of berth's nftables table (family ip).
func (m *Manager) TableName() string { return m.opt.Name }

const schema = `
CREATE TABLE IF NOT EXISTS net_networks (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, driver TEXT NOT NULL,
  subnet TEXT NOT NULL UNIQUE, gateway TEXT NOT NULL, bridge TEXT NOT NULL UNIQUE,
  internal INTEGER NOT NULL, labels TEXT NOT NULL, created INTEGER NOT NULL,
  options TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS net_endpoints (
  network_id TEXT NOT NULL, container_id TEXT NOT NULL, ifname TEXT NOT NULL,
  host_veth TEXT NOT NULL UNIQUE, ip TEXT NOT NULL, mac TEXT NOT NULL,
  aliases TEXT NOT NULL, is_primary INTEGER NOT NULL, ns_path TEXT NOT NULL,
  PRIMARY KEY (network_id, container_id), UNIQUE (network_id, ip),
  UNIQUE (container_id, ifname));
CREATE TABLE IF NOT EXISTS net_ports (
  container_id TEXT NOT NULL, host_ip TEXT NOT NULL, host_port INTEGER NOT NULL,
  container_ip TEXT NOT NULL, container_port INTEGER NOT NULL, proto TEXT NOT NULL,
  PRIMARY KEY (host_port, proto, host_ip));
`

func (m *Manager) migrate(ctx context.Context) error {
	return m.writeTx(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, schema); err != nil {
			return fmt.Errorf("netmgr schema: %w", err)
		}
		return migrateOptions(ctx, c)
	})
}

// writeTx runs fn inside BEGIN IMMEDIATE, so concurrent writers from several
// processes queue on SQLite's write lock instead of failing on upgrade.
func (m *Manager) writeTx(ctx context.Context, fn func(c *sql.Conn) error) error {
	c, err := m.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("netmgr db: %w", err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout = 10000"); err != nil {
		return fmt.Errorf("netmgr busy timeout: %w", err)
	}
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("netmgr begin: %w", err)
	}
	if err := fn(c); err != nil {
		_, _ = c.ExecContext(context.Background(), "ROLLBACK")
		return err
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = c.ExecContext(context.Background(), "ROLLBACK")
		return fmt.Errorf("netmgr commit: %w", err)
	}
	return nil
}

// lock takes the run directory's file lock that serialises kernel changes shared
// by several processes (bridges, per-network rules); the returned func unlocks.
func (m *Manager) lock() (func(), error) {
	return m.flock("netmgr.lock", unix.LOCK_EX)
}

// flock takes the lock file name of the run directory as how says
// (unix.LOCK_EX or unix.LOCK_SH), waiting for it; the returned func unlocks.
func (m *Manager) flock(name string, how int) (func(), error) {
	f, err := os.OpenFile(filepath.Join(m.runDir, name), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("netmgr lock %s: %w", name, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("netmgr lock %s: %w", name, err)
	}
	return func() { f.Close() }, nil
}

// tryFlock is flock without waiting: ok is false when another holder has it.
func (m *Manager) tryFlock(name string, how int) (unlock func(), ok bool, err error) {
	f, err := os.OpenFile(filepath.Join(m.runDir, name), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("netmgr lock %s: %w", name, err)
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("netmgr lock %s: %w", name, err)
	}
	return func() { f.Close() }, true, nil
}
