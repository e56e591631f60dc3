package netmgr

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"github.com/containerd/errdefs"
)

// Docker's bridge driver options that berth's bridges honour.
const (
	// OptBridgeName names the bridge device (reported for the default
	// network only, as Docker reports docker0).
	OptBridgeName = "com.docker.network.bridge.name"
	// OptDefaultBridge marks the default network.
	OptDefaultBridge = "com.docker.network.bridge.default_bridge"
	optICC           = "com.docker.network.bridge.enable_icc"
	optMasquerade    = "com.docker.network.bridge.enable_ip_masquerade"
	optHostBinding   = "com.docker.network.bridge.host_binding_ipv4"
	optMTU           = "com.docker.network.driver.mtu"
)

// keptOption is the one value of a Docker bridge option whose meaning is
// what a berth bridge does anyway; ok is false for any other option.
func keptOption(name string) (value string, ok bool) {
	switch name {
	case optICC, optMasquerade:
		return "true", true
	case optHostBinding:
		return "0.0.0.0", true
	case optMTU:
		return "1500", true
	}
	return "", false
}

// ValidateOptions accepts the driver options a berth bridge honours (with
// the value it has anyway) and refuses any other by name, as
// errdefs.ErrInvalidArgument.
func ValidateOptions(opts map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		want, ok := keptOption(k)
		if !ok {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("network option %s is not supported by berth's bridge driver", k))
		}
		if opts[k] != want {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("network option %s=%s is not supported: berth's bridges have %s", k, opts[k], want))
		}
	}
	return nil
}

// DockerOptions are the driver options Docker's inspect shows for n: those
// given when it was created, and for the default network the options
// Docker shows for its default bridge, with the name of berth's device.
// Clients such as docker-compose compare them with what they asked for, so a
// network shows no option it was not given.
func (n *Network) DockerOptions() map[string]string {
	out := maps.Clone(n.Options)
	if out == nil {
		out = map[string]string{}
	}
	if n.Name == DefaultNetwork {
		for _, k := range []string{optICC, optMasquerade, optHostBinding, optMTU} {
			out[k], _ = keptOption(k)
		}
		out[OptDefaultBridge] = "true"
		out[OptBridgeName] = n.Bridge
	}
	return out
}

// migrateOptions adds the options column to a networks table made before it
// existed.
func migrateOptions(ctx context.Context, c *sql.Conn) error {
	var n int
	if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM pragma_table_info('net_networks') WHERE name = 'options'").Scan(&n); err != nil {
		return fmt.Errorf("netmgr schema: %w", err)
	}
	if n == 0 {
		if _, err := c.ExecContext(ctx, "ALTER TABLE net_networks ADD COLUMN options TEXT NOT NULL DEFAULT '{}'"); err != nil {
			return fmt.Errorf("netmgr schema: %w", err)
		}
	}
	return nil
}
