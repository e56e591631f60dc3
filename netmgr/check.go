package netmgr

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vishvananda/netlink"
)

// This file lists the manager's kernel objects and records for a consistency
// check (berth system check), and removes one stray object at a time for its
// repair. Listing changes nothing.

// Namespaces returns the container IDs that have a namespace file in the
// manager's run directory, sorted.
func (m *Manager) Namespaces() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(m.runDir, "netns"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

// AllEndpoints lists every endpoint (IP lease) of every container.
func (m *Manager) AllEndpoints(ctx context.Context) ([]Endpoint, error) {
	return m.endpoints(ctx, ``)
}

// PortOwners returns the IDs of the containers that have published ports, sorted.
func (m *Manager) PortOwners(ctx context.Context) ([]string, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT DISTINCT container_id FROM net_ports ORDER BY container_id`)
	if err != nil {
		return nil, fmt.Errorf("list published ports: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list published ports: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// StrayLinks returns the names of the veths and bridges named like this
// manager's that no network or endpoint record owns, sorted.
func (m *Manager) StrayLinks(ctx context.Context) ([]string, error) {
	owned := map[string]bool{}
	nets, err := m.query(ctx, ``)
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		owned[n.Bridge] = true
	}
	eps, err := m.endpoints(ctx, ``)
	if err != nil {
		return nil, err
	}
	for _, ep := range eps {
		owned[ep.HostVeth] = true
	}
	links, err := retryDump(netlink.LinkList)
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var out []string
	for _, l := range links {
		name := l.Attrs().Name
		if m.ours(l) && !owned[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *Manager) ours(l netlink.Link) bool {
	name := l.Attrs().Name
	return (l.Type() == "veth" && strings.HasPrefix(name, "v"+m.opt.Name)) ||
		(l.Type() == "bridge" && (name == m.DefaultBridge() || strings.HasPrefix(name, m.opt.Name+"-")))
}

// DeleteStrayLink deletes link name if it is still one of StrayLinks.
func (m *Manager) DeleteStrayLink(ctx context.Context, name string) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	stray, err := m.StrayLinks(ctx)
	if err != nil {
		return err
	}
	for _, s := range stray {
		if s == name {
			return deleteLink(name)
		}
	}
	return nil
}

// StrayRules returns the tags of the nftables rules whose network or
// published ports have no record any more, sorted.
func (m *Manager) StrayRules(ctx context.Context) ([]string, error) {
	tags, err := m.allTags()
	if err != nil {
		return nil, err
	}
	var out []string
	for tag := range tags {
		stray, err := m.strayTag(ctx, tag)
		if err != nil {
			return nil, err
		}
		if stray {
			out = append(out, tag)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *Manager) strayTag(ctx context.Context, tag string) (bool, error) {
	var n int
	var err error
	if id, ok := strings.CutPrefix(tag, "berth net:"); ok {
		err = m.db.QueryRowContext(ctx, `SELECT count(*) FROM net_networks WHERE id = ?`, id).Scan(&n)
	} else if id, ok := strings.CutPrefix(tag, "berth ctr:"); ok {
		err = m.db.QueryRowContext(ctx, `SELECT count(*) FROM net_ports WHERE container_id = ?`, id).Scan(&n)
	} else {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check rule %s: %w", tag, err)
	}
	return n == 0, nil
}

// DeleteStrayRules deletes the rules tagged tag if they are still stray.
func (m *Manager) DeleteStrayRules(ctx context.Context, tag string) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	stray, err := m.strayTag(ctx, tag)
	if err != nil || !stray {
		return err
	}
	return m.deleteRules(tag)
}
