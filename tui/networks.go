package tui

import (
	"berth/engine"
	"context"
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"berth/engine/inspect"
	"berth/views/dialog"
	"berth/views/networks"
)

// NetworkManager is what the UI needs of the engine's networks; the
// engine's network API provides it (see networksOf).
type NetworkManager interface {
	// List returns every network.
	List(ctx context.Context) ([]engine.Network, error)
	// Members lists the endpoints (attached containers) of a network.
	Members(ctx context.Context, netRef string) ([]engine.NetworkEndpoint, error)
	// Create makes a bridge network.
	Create(ctx context.Context, o engine.NetworkCreateOptions) (*engine.Network, error)
	// Remove deletes a network; attached containers make it ErrConflict.
	Remove(ctx context.Context, ref string) error
	// Prune removes the unused user-defined networks and returns their names.
	Prune(ctx context.Context) ([]string, error)
}

// netEngine is an engine that reads and changes networks, recording a
// network event for each change (*engine.Engine).
type netEngine interface {
	ListNetworks(ctx context.Context, filters map[string][]string) ([]engine.Network, error)
	InspectNetwork(ctx context.Context, ref string) (*engine.Network, []engine.NetworkEndpoint, error)
	CreateNetwork(ctx context.Context, o engine.NetworkCreateOptions) (*engine.Network, error)
	RemoveNetwork(ctx context.Context, ref string) error
	PruneNetworks(ctx context.Context, filters map[string][]string) ([]string, error)
}

// engineNetworks is the NetworkManager of an engine: it reads and makes
// every change through the engine's API, so that other berth processes see
// the changes in the events log.
type engineNetworks struct{ eng netEngine }

func (n engineNetworks) List(ctx context.Context) ([]engine.Network, error) {
	return n.eng.ListNetworks(ctx, nil)
}

func (n engineNetworks) Members(ctx context.Context, ref string) ([]engine.NetworkEndpoint, error) {
	_, eps, err := n.eng.InspectNetwork(ctx, ref)
	return eps, err
}

func (n engineNetworks) Create(ctx context.Context, o engine.NetworkCreateOptions) (*engine.Network, error) {
	return n.eng.CreateNetwork(ctx, o)
}

func (n engineNetworks) Remove(ctx context.Context, ref string) error {
	return n.eng.RemoveNetwork(ctx, ref)
}

func (n engineNetworks) Prune(ctx context.Context) ([]string, error) {
	return n.eng.PruneNetworks(ctx, nil)
}

// networksOf returns the NetworkManager of eng, or nil when it has none.
func networksOf(eng Engine) NetworkManager {
	if n, ok := eng.(netEngine); ok {
		return engineNetworks{n}
	}
	return nil
}

// Network detail tabs.
const (
	tabNetInspect = iota
	tabNetContainers
	numNetTabs
)

var netTabs = [numNetTabs]string{"Inspect", "Containers"}

// networksMsg is one listing of the networks with their members.
type networksMsg struct {
	rows []networks.Row
	err  error
}

// listNetworks reads every network and its members in a command.
func listNetworks(ctx context.Context, nm NetworkManager) tea.Cmd {
	return func() tea.Msg {
		ns, err := nm.List(ctx)
		if err != nil {
			return networksMsg{err: fmt.Errorf("list networks: %w", err)}
		}
		// Stable: host and none are as old as the bridge and listed after it.
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].Created.Before(ns[j].Created) })
		rows := make([]networks.Row, 0, len(ns))
		for _, n := range ns {
			eps, err := nm.Members(ctx, n.ID)
			if err != nil {
				return networksMsg{err: fmt.Errorf("members of network %s: %w", n.Name, err)}
			}
			rows = append(rows, networks.Row{Net: n, Members: eps})
		}
		return networksMsg{rows: rows}
	}
}

// refreshNetworks re-lists the networks now, or right after the list in flight.
func (m *Model) refreshNetworks() tea.Cmd {
	if m.opts.Networks == nil {
		return nil
	}
	if m.netListing {
		m.netRelist = true
		return nil
	}
	m.netListing = true
	return listNetworks(m.ctx, m.opts.Networks)
}

func (m *Model) onNetworks(msg networksMsg) tea.Cmd {
	m.netListing = false
	m.setBanner(msg.err)
	if msg.err == nil {
		m.nets.SetRows(msg.rows)
	}
	cmd := m.syncNetDetail()
	if m.netRelist {
		m.netRelist = false
		return tea.Batch(cmd, m.refreshNetworks())
	}
	return cmd
}

// ctrNames maps container IDs to names for the network pages.
func (m *Model) ctrNames() map[string]string {
	out := map[string]string{}
	for _, r := range m.ctrs.Rows() {
		out[r.ID] = r.Name
	}
	return out
}

// syncNetDetail fills the detail pane of the selected network.
func (m *Model) syncNetDetail() tea.Cmd {
	r, ok := m.nets.Selected()
	if m.panel != panelNetworks || !ok {
		return nil
	}
	names := m.ctrNames()
	if m.nTab == tabNetInspect {
		m.pane.SetHeader("")
		m.pane.SetLines("ninspect:"+r.Net.ID, jsonLines([]inspect.Network{inspect.NetworkOf(r.Net, r.Members, names)}))
		return nil
	}
	hdr, lines := networks.ContainerLines(m.th, r, names)
	m.pane.SetHeader(hdr)
	m.pane.SetLines("nctrs:"+r.Net.ID, lines)
	return nil
}

// networkKey runs the Networks panel's actions: n create, d remove, P prune.
func (m *Model) networkKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	if m.opts.Networks == nil {
		return nil, false
	}
	km := m.keys
	switch {
	case key.Matches(k, km.Run):
		f, cmd := networks.NewForm()
		m.netForm = &f
		return cmd, true
	case key.Matches(k, km.Remove):
		m.askRemoveNetwork()
	case key.Matches(k, km.Prune):
		m.askPruneNetworks()
	default:
		return nil, false
	}
	return nil, true
}

func (m *Model) askRemoveNetwork() {
	r, ok := m.nets.Selected()
	if !ok {
		return
	}
	if engine.PredefinedNetwork(r.Net.Name) {
		m.setBanner(fmt.Errorf("%s is a pre-defined network and cannot be removed", r.Net.Name))
		return
	}
	if n := len(r.Members); n > 0 {
		names := m.ctrNames()
		var list []string
		for _, ep := range r.Members {
			list = append(list, names[ep.ContainerID])
		}
		m.setBanner(fmt.Errorf("%s: %d container(s) attached — remove or disconnect them first (%s)",
			r.Net.Name, n, strings.Join(list, ", ")))
		return
	}
	lines := []string{"The network " + r.Net.Name + " (" + r.Net.Subnet.String() + "), its bridge " + r.Net.Bridge + " and its rules go."}
	m.openDialog(dialog.NewConfirm("Remove network "+r.Net.Name+"?", lines), pending{verb: "netrm", ids: []string{r.Net.ID}, name: r.Net.Name})
}

func (m *Model) askPruneNetworks() {
	gone := networks.Unused(m.nets.Rows())
	lines := []string{"Every user-defined network without containers goes:"}
	for i, r := range gone {
		if i == 12 {
			lines = append(lines, fmt.Sprintf("  … and %d more", len(gone)-i))
			break
		}
		lines = append(lines, "  "+r.Net.Name+"  "+r.Net.Subnet.String())
	}
	if len(gone) == 0 {
		lines = []string{"No unused networks: nothing to prune."}
	}
	m.openDialog(dialog.NewConfirm(fmt.Sprintf("Prune %d unused network(s)?", len(gone)), lines), pending{verb: "netprune"})
}

// runNetworkAction runs an accepted network remove or prune.
func (m *Model) runNetworkAction(p pending) tea.Cmd {
	nm, parent := m.opts.Networks, m.ctx
	switch p.verb {
	case "netrm":
		m.logCommand("berth network rm " + p.name)
		return doAction(parent, "network rm", p.ids, func(ctx context.Context, id string) error { return nm.Remove(ctx, id) })
	case "netprune":
		m.logCommand("berth network prune -f")
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(parent, actionTimeout)
			defer cancel()
			gone, err := nm.Prune(ctx)
			return actionMsg{verb: "network prune", err: err, info: fmt.Sprintf("pruned %d network(s)", len(gone))}
		}
	}
	return nil
}

func (m *Model) updateNetForm(msg tea.Msg) tea.Cmd {
	f, cmd, res, done := m.netForm.Update(msg)
	m.netForm = &f
	if !done {
		return cmd
	}
	m.netForm = nil
	if res == nil {
		return nil
	}
	m.logCommand(res.Command)
	nm, parent, o := m.opts.Networks, m.ctx, res.Options
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, actionTimeout)
		defer cancel()
		n, err := nm.Create(ctx, o)
		if err != nil {
			return actionMsg{verb: "network create", err: fmt.Errorf("network create %s: %w", o.Name, err)}
		}
		return actionMsg{verb: "network create", info: "created network " + n.Name + " " + n.Subnet.String()}
	}
}

// isNetworkVerb says an action changed networks.
func isNetworkVerb(verb string) bool { return strings.HasPrefix(verb, "network ") }
