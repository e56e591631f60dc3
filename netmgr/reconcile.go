package netmgr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
)

// Reconcile removes what a killed or crashed berth process left behind: endpoints
// whose namespace is gone (their veth, lease and port rules), unmounted namespace
// files, berth veths and bridges no record owns, and rules tagged for networks or
// containers that no longer exist. The engine calls it at start.
func (m *Manager) Reconcile(ctx context.Context) error {
	return m.ReconcileLive(ctx, nil)
}

// ReconcileLive is Reconcile that also releases everything (namespace included)
// of containers for which live returns false; a nil live keeps every container
// whose namespace still exists.
func (m *Manager) ReconcileLive(ctx context.Context, live func(containerID string) bool) error {
	var errs []error
	errs = append(errs, m.reconcileNamespaces(ctx, live))
	errs = append(errs, m.reconcileEndpoints(ctx, live))
	errs = append(errs, m.reconcileLinks(ctx))
	errs = append(errs, m.reconcileRules(ctx))
	return errors.Join(errs...)
}

func (m *Manager) reconcileNamespaces(ctx context.Context, live func(string) bool) error {
	dir := filepath.Join(m.runDir, "netns")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reconcile %s: %w", dir, err)
	}
	var errs []error
	for _, e := range ents {
		id := e.Name()
		if !isNamespace(filepath.Join(dir, id)) || (live != nil && !live(id)) {
			errs = append(errs, m.DeleteNamespace(id))
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) reconcileEndpoints(ctx context.Context, live func(string) bool) error {
	eps, err := m.endpoints(ctx, ``)
	if err != nil {
		return err
	}
	var errs []error
	for _, ep := range eps {
		var nsPath string
		_ = m.db.QueryRowContext(ctx, `SELECT ns_path FROM net_endpoints WHERE network_id = ? AND container_id = ?`,
			ep.NetworkID, ep.ContainerID).Scan(&nsPath)
		if isNamespace(nsPath) && (live == nil || live(ep.ContainerID)) {
			continue
		}
		errs = append(errs, deleteLink(ep.HostVeth), m.unlease(ctx, ep.NetworkID, ep.ContainerID))
	}
	rows, err := m.db.QueryContext(ctx, `SELECT DISTINCT container_id FROM net_ports
		WHERE container_id NOT IN (SELECT container_id FROM net_endpoints)`)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("reconcile ports: %w", err))...)
	}
	var stale []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			stale = append(stale, id)
		}
	}
	rows.Close()
	for _, id := range stale {
		errs = append(errs, m.Unpublish(ctx, id))
	}
	return errors.Join(errs...)
}

// reconcileLinks deletes berth-named veths and bridges that no record owns.
func (m *Manager) reconcileLinks(ctx context.Context) error {
	owned := map[string]bool{}
	nets, err := m.query(ctx, ``)
	if err != nil {
		return err
	}
	for _, n := range nets {
		owned[n.Bridge] = true
	}
	eps, err := m.endpoints(ctx, ``)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		owned[ep.HostVeth] = true
	}
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	links, err := retryDump(netlink.LinkList)
	if err != nil {
		return fmt.Errorf("reconcile links: %w", err)
	}
	var errs []error
	for _, l := range links {
		name := l.Attrs().Name
		ours := (l.Type() == "veth" && strings.HasPrefix(name, "v"+m.opt.Name)) ||
			(l.Type() == "bridge" && (name == m.DefaultBridge() || strings.HasPrefix(name, m.opt.Name+"-")))
		if ours && !owned[name] {
			errs = append(errs, deleteLink(name))
		}
	}
	return errors.Join(errs...)
}

// reconcileRules deletes rules tagged for networks or containers without records.
func (m *Manager) reconcileRules(ctx context.Context) error {
	tags, err := m.allTags()
	if err != nil {
		return err
	}
	var errs []error
	for tag := range tags {
		var n int
		if id, ok := strings.CutPrefix(tag, "berth net:"); ok {
			err = m.db.QueryRowContext(ctx, `SELECT count(*) FROM net_networks WHERE id = ?`, id).Scan(&n)
		} else if id, ok := strings.CutPrefix(tag, "berth ctr:"); ok {
			err = m.db.QueryRowContext(ctx, `SELECT count(*) FROM net_ports WHERE container_id = ?`, id).Scan(&n)
		} else {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("reconcile rule %s: %w", tag, err))
			continue
		}
		if n == 0 {
			errs = append(errs, m.withLock(func() error { return m.deleteRules(tag) }))
		}
	}
	return errors.Join(append(errs, m.withLock(m.dropEmptyTable))...)
}

func (m *Manager) withLock(f func() error) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return f()
}
