package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"berth/engine"
)

// psRow is one line of ps, with the field names docker ps --format knows.
type psRow struct {
	ID, Image, Command, CreatedAt, RunningFor, Ports, State, Status, Size, Names, Mounts, Networks string
	Labels                                                                                         string
	labels                                                                                         map[string]string
}

// Label returns one label's value, for {{.Label "key"}}.
func (r psRow) Label(k string) string { return r.labels[k] }

func newPSRow(c *engine.Container, now time.Time, trunc bool) psRow {
	cmd := strings.Join(append([]string{c.Path}, c.Args...), " ")
	id := c.ID
	if trunc {
		id = id[:12]
		if len(cmd) > 20 {
			cmd = cmd[:19] + "…"
		}
	}
	var ls []string
	for k, v := range c.Config.Labels {
		ls = append(ls, k+"="+v)
	}
	sort.Strings(ls)
	return psRow{
		ID: id, Image: c.ImageRef, Command: strconv.Quote(cmd),
		CreatedAt:  c.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
		RunningFor: units.HumanDuration(now.Sub(c.Created)) + " ago",
		State:      c.State.Status, Status: c.StatusText(now), Names: c.Name[1:],
		Networks: networks(c), Ports: portsText(c), Labels: strings.Join(ls, ","), labels: c.Config.Labels,
	}
}

// portsText is docker ps's PORTS: "0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp".
func portsText(c *engine.Container) string {
	var out []string
	for port, bindings := range c.NetworkSettings.Ports {
		for _, b := range bindings {
			out = append(out, b.HostIP+":"+b.HostPort+"->"+port)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// networks names the container's networks, or its network mode.
func networks(c *engine.Container) string {
	var out []string
	for name := range c.NetworkSettings.Networks {
		out = append(out, name)
	}
	if len(out) == 0 {
		return c.HostConfig.NetworkMode
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

var psHeader = map[string]string{
	"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
	"RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS",
	"Size": "SIZE", "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS",
}

const psTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

func (a *app) psCommand() *cobra.Command {
	var all, quiet, noTrunc, latest bool
	var format string
	var filters []string
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			match, err := psFilter(filters)
			if err != nil {
				return err
			}
			cs, err := e.List(cmd.Context(), all || len(filters) > 0 || latest)
			if err != nil {
				return err
			}
			now := time.Now()
			var items []any
			for _, c := range cs {
				if !match(c) {
					continue
				}
				items = append(items, newPSRow(c, now, !noTrunc))
				if latest {
					break
				}
			}
			switch {
			case quiet:
				format = "{{.ID}}"
			case format == "" || format == "table":
				format = psTable
			}
			return printFormatted(a.stdout, format, psHeader, items)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "show all containers (default shows just running)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "only display container IDs")
	fl.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	fl.BoolVarP(&latest, "latest", "l", false, "show the latest created container")
	fl.StringVar(&format, "format", "", "format output using a Go template, 'table', 'table TEMPLATE' or 'json'")
	fl.StringArrayVarP(&filters, "filter", "f", nil, "filter output (status=, name=, id=, label=, ancestor=)")
	return cmd
}

// psFilter builds a predicate from docker ps --filter values.
func psFilter(fs []string) (func(*engine.Container) bool, error) {
	type cond struct{ key, val string }
	var conds []cond
	for _, f := range fs {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, invalid("bad format of filter %q (expected name=value)", f)
		}
		switch k {
		case "status", "name", "id", "label", "ancestor", "exited":
		default:
			return nil, invalid("invalid filter %q", k)
		}
		conds = append(conds, cond{k, v})
	}
	return func(c *engine.Container) bool {
		byKey := map[string]bool{}
		seen := map[string]bool{}
		for _, cd := range conds {
			seen[cd.key] = true
			if byKey[cd.key] {
				continue
			}
			byKey[cd.key] = psMatch(c, cd.key, cd.val)
		}
		for k := range seen {
			if !byKey[k] {
				return false
			}
		}
		return true
	}, nil
}

func psMatch(c *engine.Container, key, val string) bool {
	switch key {
	case "status":
		return c.State.Status == val
	case "name":
		return strings.Contains(c.Name[1:], val)
	case "id":
		return strings.HasPrefix(c.ID, val)
	case "ancestor":
		return c.ImageRef == val || strings.HasPrefix(c.Image, val) || strings.HasPrefix(c.Image, "sha256:"+val)
	case "exited":
		return c.State.Status == "exited" && fmt.Sprint(c.State.ExitCode) == val
	case "label":
		k, v, hasV := strings.Cut(val, "=")
		got, ok := c.Config.Labels[k]
		return ok && (!hasV || got == v)
	}
	return false
}
