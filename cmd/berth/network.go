package main

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/api"
	"berth/engine/inspect"
	"berth/engine/opts"
	"berth/netmgr"
)

func (a *app) networkCommands() *cobra.Command {
	g := &cobra.Command{Use: "network", Short: "Manage networks"}
	g.AddCommand(a.networkCreate(), a.networkLs(), a.networkInspect(), a.networkRm(), a.networkPrune(),
		a.networkConnect(), a.networkDisconnect())
	return g
}

func (a *app) networkCreate() *cobra.Command {
	var subnet, gateway, driver string
	var internal bool
	var labels, driverOpts []string
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if driver != "bridge" {
				return invalid("network driver %q: berth has the bridge driver", driver)
			}
			o := netmgr.CreateOptions{Name: args[0], Internal: internal}
			var err error
			if subnet != "" {
				if o.Subnet, err = netip.ParsePrefix(subnet); err != nil {
					return invalid("invalid --subnet %q: want an address prefix such as 10.1.0.0/24", subnet)
				}
			}
			if gateway != "" {
				if o.Gateway, err = netip.ParseAddr(gateway); err != nil {
					return invalid("invalid --gateway %q: not an IP address", gateway)
				}
			}
			if o.Labels, err = opts.ParseLabels(labels); err != nil {
				return err
			}
			for _, kv := range driverOpts {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return invalid("invalid --opt %q: want key=value", kv)
				}
				if o.Options == nil {
					o.Options = map[string]string{}
				}
				o.Options[k] = v
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			n, err := e.CreateNetwork(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, n.ID)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&subnet, "subnet", "", "subnet in CIDR form (picked free when empty)")
	fl.StringVar(&gateway, "gateway", "", "gateway address (the subnet's first address when empty)")
	fl.StringVarP(&driver, "driver", "d", "bridge", "driver (bridge)")
	fl.BoolVar(&internal, "internal", false, "no route out of the network")
	stringArrayVarP(fl, &labels, "label", "", "set metadata (key=value)")
	stringArrayVarP(fl, &driverOpts, "opt", "o", "set a driver option (key=value; those berth's bridges honour)")
	return cmd
}

func (a *app) networkLs() *cobra.Command {
	var quiet, noTrunc bool
	var format string
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			ns, err := e.ListNetworks(cmd.Context(), nil)
			if err != nil {
				return err
			}
			type row struct{ ID, Name, Driver, Scope, Subnet, Gateway, Internal string }
			sort.SliceStable(ns, func(i, j int) bool { return naturalLess(ns[i].Name, ns[j].Name) })
			var items []any
			for _, n := range ns {
				id := n.ID
				if !noTrunc && len(id) > 12 {
					id = id[:12]
				}
				subnet, gw := addrText(n)
				items = append(items, row{ID: id, Name: n.Name, Driver: n.Driver, Scope: "local",
					Subnet: subnet, Gateway: gw, Internal: fmt.Sprint(n.Internal)})
			}
			switch {
			case quiet:
				format = "{{.ID}}"
			case format == "":
				format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Subnet}}\t{{.Gateway}}"
			}
			return printFormatted(a.stdout, format, map[string]string{"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER",
				"Scope": "SCOPE", "Subnet": "SUBNET", "Gateway": "GATEWAY", "Internal": "INTERNAL"}, items)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "only display network IDs")
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "do not truncate the output")
	cmd.Flags().StringVar(&format, "format", "", "format output using a Go template or 'json'")
	return cmd
}

func (a *app) networkInspect() *cobra.Command {
	return a.objectInspect("network", func(cmd *cobra.Command, e api.Engine, ref string) (any, error) {
		return a.networkView(cmd, e, ref)
	})
}

// addrText is a network's subnet and gateway for network ls; empty for host
// and none, which have neither.
func addrText(n netmgr.Network) (string, string) {
	if !n.Subnet.IsValid() {
		return "", ""
	}
	return n.Subnet.String(), n.Gateway.String()
}

// networkView is what network inspect shows (engine/inspect's shape), with
// the names of the containers on it.
func (a *app) networkView(cmd *cobra.Command, e api.Engine, ref string) (inspect.Network, error) {
	n, members, err := e.InspectNetwork(cmd.Context(), ref)
	if err != nil {
		return inspect.Network{}, err
	}
	names := map[string]string{}
	for _, ep := range members {
		if c, err := e.Inspect(cmd.Context(), ep.ContainerID); err == nil {
			names[ep.ContainerID] = strings.TrimPrefix(c.Name, "/")
		}
	}
	return inspect.NetworkOf(*n, members, names), nil
}

func (a *app) networkRm() *cobra.Command {
	return &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachRef(a, args, func(ref string) error { return e.RemoveNetwork(cmd.Context(), ref) })
		},
	}
}

func (a *app) networkPrune() *cobra.Command {
	var force bool
	var flt []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			filters, err := engine.ParseFilterFlags(flt)
			if err != nil {
				return err
			}
			if !force && !confirm(a, "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			removed, err := e.PruneNetworks(cmd.Context(), filters)
			if len(removed) > 0 {
				sort.Strings(removed)
				fmt.Fprintln(a.stdout, "Deleted Networks:")
				for _, n := range removed {
					fmt.Fprintln(a.stdout, n)
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	stringArrayVarP(cmd.Flags(), &flt, "filter", "", "only networks that match (until=T, label=K[=V], label!=K[=V])")
	return cmd
}

func (a *app) networkConnect() *cobra.Command {
	var aliases []string
	var ip string
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return e.Connect(cmd.Context(), args[0], args[1], engine.EndpointSettings{Aliases: aliases, IPAddress: ip})
		},
	}
	stringArrayVarP(cmd.Flags(), &aliases, "alias", "", "network-scoped alias for the container")
	cmd.Flags().StringVar(&ip, "ip", "", "IPv4 address")
	return cmd
}

func (a *app) networkDisconnect() *cobra.Command {
	return &cobra.Command{
		Use:   "disconnect NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return e.Disconnect(cmd.Context(), args[0], args[1])
		},
	}
}

func (a *app) portCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings of a container",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			private := ""
			if len(args) == 2 {
				private = args[1]
			}
			if _, err := privatePortKey(private); err != nil {
				return err
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			c, err := e.Inspect(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			lines, err := portLines(c.NetworkSettings.Ports, private, args[0])
			for _, l := range lines {
				fmt.Fprintln(a.stdout, l)
			}
			return err
		},
	}
}

// privatePortKey turns port's PRIVATE_PORT[/PROTO] argument into a PortMap
// key ("80" is "80/tcp"); "" stays "".
func privatePortKey(private string) (string, error) {
	if private == "" {
		return "", nil
	}
	port, proto, _ := strings.Cut(private, "/")
	if proto == "" {
		proto = "tcp"
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 || proto != "tcp" && proto != "udp" {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid port %q: want PORT or PORT/PROTO, such as 80 or 53/udp", private))
	}
	return port + "/" + proto, nil
}

// portLines is what `port` prints, in natural order as Docker sorts it: with
// a private port, the host addresses it is published on ("0.0.0.0:8080");
// without, every mapping ("80/tcp -> 0.0.0.0:8080"). A private port that is
// not published is ErrNotFound; name is the container as the user wrote it.
func portLines(ports engine.PortMap, private, name string) ([]string, error) {
	key, err := privatePortKey(private)
	if err != nil {
		return nil, err
	}
	var out []string
	for k, bindings := range ports {
		if key != "" && k != key {
			continue
		}
		for _, b := range bindings {
			addr := net.JoinHostPort(b.HostIP, b.HostPort)
			if key == "" {
				addr = k + " -> " + addr
			}
			out = append(out, addr)
		}
	}
	if key != "" && len(out) == 0 {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("no public port '%s' published for %s", key, name))
	}
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
	return out, nil
}

// naturalLess orders strings with their runs of digits compared as numbers
// ("9/tcp" before "10/tcp").
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

// digitRun is the length of the run of ASCII digits s starts with.
func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
