package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/api"
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
	id, img := c.ID, c.ImageRef
	if trunc {
		id = id[:12]
		if strings.HasPrefix(img, "sha256:") {
			img = shortID(img) // an image shown by its ID (its tag moved on), as docker ps shortens it
		}
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
		ID: id, Image: img, Command: strconv.Quote(cmd),
		CreatedAt:  c.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
		RunningFor: units.HumanDuration(now.Sub(c.Created)) + " ago",
		State:      c.State.Status, Status: c.StatusText(now), Names: c.Name[1:],
		Networks: networks(c), Ports: portsText(c), Labels: strings.Join(ls, ","), labels: c.Config.Labels,
	}
}

// portsText is docker ps's PORTS: "0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp".
// A container that does not run publishes nothing, so it shows none.
func portsText(c *engine.Container) string {
	if !c.State.Running || c.State.Restarting {
		return ""
	}
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

// psOptions are docker ps's flags.
type psOptions struct {
	all, quiet, noTrunc, latest, size bool
	last                              int
	format                            string
	filters                           []string
}

func (a *app) psCommand() *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.ps(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.all, "all", "a", false, "show all containers (default shows just running)")
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "only display container IDs")
	fl.BoolVar(&o.noTrunc, "no-trunc", false, "don't truncate output")
	fl.BoolVarP(&o.latest, "latest", "l", false, "show the latest created container (includes all states)")
	fl.IntVarP(&o.last, "last", "n", -1, "show n last created containers (includes all states)")
	fl.BoolVarP(&o.size, "size", "s", false, "display total file sizes")
	fl.StringVar(&o.format, "format", "", "format output using a Go template, 'table', 'table TEMPLATE' or 'json'")
	stringArrayVarP(fl, &o.filters, "filter", "f", "filter output (id=, name=, label=, status=, exited=, health=, ancestor=, before=, since=, volume=, network=, publish=, expose=, is-task=)")
	return cmd
}

func (a *app) ps(ctx context.Context, o psOptions) error {
	e, err := a.engine()
	if err != nil {
		return err
	}
	filters, err := engine.ParseFilterFlags(o.filters)
	if err != nil {
		return err
	}
	if o.latest && o.last == -1 {
		o.last = 1
	}
	cs, err := e.ListContainers(ctx, engine.ContainerListOptions{All: o.all, Limit: o.last, Filters: filters})
	if err != nil {
		return err
	}
	format := o.format
	switch {
	case o.quiet:
		format = "{{.ID}}"
	case format == "" || format == "table":
		format = psTable
		if o.size {
			format += "\t{{.Size}}"
		}
	}
	withSize := !o.quiet && (o.size || strings.Contains(format, ".Size"))
	now := time.Now()
	var items []any
	for _, c := range cs {
		row := newPSRow(c, now, !o.noTrunc)
		if withSize {
			if row.Size, err = sizeText(ctx, e, c); err != nil {
				return err
			}
		}
		items = append(items, row)
	}
	return printFormatted(a.stdout, format, psHeader, items)
}

// sizeText is docker ps -s's SIZE: "2B (virtual 4.26MB)".
func sizeText(ctx context.Context, e api.Engine, c *engine.Container) (string, error) {
	s, err := e.Size(ctx, c)
	if err != nil {
		return "", err
	}
	return formatSize(s), nil
}

func formatSize(s engine.ContainerSize) string {
	if s.SizeRootFs > 0 {
		return fmt.Sprintf("%s (virtual %s)", humanSize(s.SizeRw), humanSize(s.SizeRootFs))
	}
	return humanSize(s.SizeRw)
}
