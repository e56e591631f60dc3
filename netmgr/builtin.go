package netmgr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/containerd/errdefs"
)

// Docker's pre-defined networks besides the default bridge: "host" (driver
// host, the host's own network stack) and "none" (driver null, loopback
// only). They are built in, not records: no subnet, bridge, rules or
// endpoints; a container uses them through its network mode (--network
// host|none), which the engine handles, never through Connect.
const (
	HostNetwork = "host"
	NoneNetwork = "none"
)

var builtinDrivers = []struct{ name, driver string }{{HostNetwork, "host"}, {NoneNetwork, "null"}}

// Predefined reports whether name is one of Docker's pre-defined networks
// (bridge, host, none): they cannot be created, removed or pruned.
func Predefined(name string) bool {
	return name == DefaultNetwork || name == HostNetwork || name == NoneNetwork
}

// Builtin reports whether n is the host or none network (no bridge behind it).
func (n *Network) Builtin() bool { return n.Driver != "bridge" }

// Connectable refuses the host and none networks, which containers join only
// through their network mode; bridge networks are nil.
func (n *Network) Connectable() error {
	if !n.Builtin() {
		return nil
	}
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
		"a container joins the %s network only by being created with --network %s", n.Name, n.Name))
}

// builtins returns host and none. Their IDs are fixed for a manager (from its
// kernel name), so every process agrees on them; they date from the default
// bridge's record (as Docker makes all three at once), or zero before it exists.
func (m *Manager) builtins(ctx context.Context) ([]Network, error) {
	var created time.Time
	br, err := m.byName(ctx, DefaultNetwork)
	switch {
	case err == nil:
		created = br.Created
	case !errors.Is(err, errdefs.ErrNotFound):
		return nil, err
	}
	out := make([]Network, 0, len(builtinDrivers))
	for _, b := range builtinDrivers {
		sum := sha256.Sum256([]byte("berth network " + m.opt.Name + "/" + b.name))
		out = append(out, Network{ID: hex.EncodeToString(sum[:]), Name: b.name, Driver: b.driver,
			Labels: map[string]string{}, Created: created})
	}
	return out, nil
}

// builtin returns the host or none network named name.
func (m *Manager) builtin(ctx context.Context, name string) (*Network, error) {
	bs, err := m.builtins(ctx)
	if err != nil {
		return nil, err
	}
	for i := range bs {
		if bs[i].Name == name {
			return &bs[i], nil
		}
	}
	return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("network %s not found", name))
}
