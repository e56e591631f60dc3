// Package networks is the networks panel: a table of berth's networks (its
// bridge networks and the built-in host and none; name, driver, subnet,
// gateway, internal, containers, age) with a cursor,
// the detail pages (inspect as `berth network inspect` prints it, and the
// attached containers with their addresses) and the `n` form that creates a
// network. The data comes from the router, which reads the network manager in
// a command; this package only keeps state and draws.
package networks

import (
	"berth/engine"
	"fmt"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/docker/go-units"

	"berth/views"
	"berth/views/containers"
)

// Row is one network and the containers attached to it.
type Row struct {
	// Net is the network as the manager stores it.
	Net engine.Network
	// Members are its endpoints, one per attached container.
	Members []engine.NetworkEndpoint
}

// Model is the networks table.
type Model struct {
	list views.List[Row]
	keys containers.KeyMap
}

// New returns an empty table.
func New() Model {
	return Model{list: views.NewList(func(r Row) string { return r.Net.ID }, filterText), keys: containers.Keys()}
}

// filterText is what the filter matches: name, subnet and driver.
func filterText(r Row) string {
	subnet, _ := addrCells(r.Net)
	return r.Net.Name + " " + subnet + " " + r.Net.Driver
}

// addrCells are a network's subnet and gateway, "-" for host and none.
func addrCells(n engine.Network) (string, string) {
	if !n.Subnet.IsValid() {
		return "-", "-"
	}
	return n.Subnet.String(), n.Gateway.String()
}

// SetRows replaces the rows, keeping the cursor on the same network.
func (m *Model) SetRows(rows []Row) { m.list.SetRows(rows) }

// Rows returns every network (unfiltered).
func (m Model) Rows() []Row { return m.list.Rows() }

// SetFilter filters rows fuzzily on name, subnet and driver.
func (m *Model) SetFilter(f string) { m.list.SetFilter(f) }

// Filter returns the current filter.
func (m Model) Filter() string { return m.list.Filter() }

// Selected returns the network under the cursor.
func (m Model) Selected() (Row, bool) { return m.list.Selected() }

// Update handles the table's keys; it reports whether it used the key.
func (m Model) Update(msg tea.KeyPressMsg, page int) (Model, bool) {
	ok := m.list.Navigate(msg, m.keys.Nav(), page)
	return m, ok
}

// ClickRow moves the cursor to the row-th visible data row (from 0); it
// reports whether a row was there.
func (m *Model) ClickRow(row int) bool { return m.list.ClickRow(row) }

var columns = []views.Column{
	{Title: "NAME", Width: 10, Grow: true},
	{Title: "DRIVER", Width: 6, HideBelow: 64},
	{Title: "SUBNET", Width: 18},
	{Title: "GATEWAY", Width: 15, HideBelow: 56},
	{Title: "INTERNAL", Width: 8, HideBelow: 90},
	{Title: "CTRS", Width: 4, Right: true},
	{Title: "CREATED", Width: 14, HideBelow: 76},
}

// View draws the table in a box.
func (m *Model) View(th views.Theme, width, height int, focused bool, now time.Time) string {
	f := m.list.Filter()
	empty := views.FilterEmpty("  no networks yet — the default bridge appears with the first container; n creates one", f)
	return m.list.Box(th, columns, views.CountTitle("Networks", m.list.Len(), f), empty, width, height, focused,
		func(r Row) []string { return cells(th, r, now) })
}

func cells(th views.Theme, r Row, now time.Time) []string {
	n := r.Net
	internal := "no"
	if n.Internal {
		internal = th.Warn.Render("yes")
	}
	created := "-"
	if !n.Created.IsZero() {
		created = units.HumanDuration(now.Sub(n.Created)) + " ago"
	}
	subnet, gw := addrCells(n)
	return []string{" " + n.Name, n.Driver, subnet, gw, internal, fmt.Sprint(len(r.Members)), created}
}

// ContainerLines lists the containers attached to r (header and one line
// each): name, IP/prefix, MAC, aliases, interface and host veth.
func ContainerLines(th views.Theme, r Row, names map[string]string) (string, []string) {
	const format = "%-20s %-18s %-17s %-12s %-5s %s"
	hdr := fmt.Sprintf(format, "CONTAINER", "IPV4", "MAC", "ALIASES", "IF", "HOST VETH")
	if len(r.Members) == 0 {
		return "", []string{th.Dim.Render("  no containers on " + r.Net.Name + " — berth run --network " + r.Net.Name + " … attaches one")}
	}
	eps := append([]engine.NetworkEndpoint(nil), r.Members...)
	sort.Slice(eps, func(i, j int) bool { return eps[i].IP.Less(eps[j].IP) })
	lines := make([]string, 0, len(eps))
	for _, ep := range eps {
		name := names[ep.ContainerID]
		if name == "" {
			name = ep.ContainerID[:min(12, len(ep.ContainerID))]
		}
		aliases := strings.Join(ep.Aliases, ",")
		if aliases == "" {
			aliases = "-"
		}
		lines = append(lines, fmt.Sprintf(format, views.Sanitize(name),
			fmt.Sprintf("%s/%d", ep.IP, ep.Prefix), ep.MAC, views.Sanitize(aliases), ep.IfName, ep.HostVeth))
	}
	return hdr, lines
}

// Unused lists the networks prune would remove: user-defined ones without
// containers (the pre-defined bridge, host and none always stay).
func Unused(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		if !engine.PredefinedNetwork(r.Net.Name) && len(r.Members) == 0 {
			out = append(out, r)
		}
	}
	return out
}
