package netmgr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Owners answers Reconcile's questions about the containers that network
// objects belong to; the engine implements it with its container records and
// locks.
type Owners interface {
	// TryLock takes, without waiting, the lock that every change to the
	// container's network is made under (its start, connect, disconnect,
	// stop and removal). ok is false while someone else holds it: an
	// operation is in flight, and Reconcile leaves the container's
	// namespace, endpoints and ports alone. unlock releases the lock.
	TryLock(containerID string) (unlock func(), ok bool, err error)
	// Exists reports whether the container still has a record. The
	// namespace, endpoints and published ports of a container without one
	// are left-overs of a process killed while removing it.
	Exists(ctx context.Context, containerID string) (bool, error)
}

// keepAll is the Owners of a Reconcile given none: every container exists
// and none is locked, so only what no namespace backs is removed.
type keepAll struct{}

func (keepAll) TryLock(string) (func(), bool, error)         { return func() {}, true, nil }
func (keepAll) Exists(context.Context, string) (bool, error) { return true, nil }

// Reconcile removes what a killed or crashed berth process left behind, and
// only that: namespace files never mounted, namespaces, endpoints (veth and
// lease) and published ports of containers that owners says no longer exist,
// endpoints whose namespace is gone, berth veths and bridges no record owns,
// and rules tagged for networks or containers without records. Whatever an
// operation in flight makes is kept: a container whose lock owners cannot take
// is skipped; kernel objects are listed before the records are read, and
// every operation writes its record before it makes the object, so a listed
// object of a live operation always has a record; a namespace being made
// holds the netns lock. It is idempotent, and errors do not stop it: it does
// all it can and returns what failed. A nil owners keeps every container.
func (m *Manager) Reconcile(ctx context.Context, owners Owners) error {
	if owners == nil {
		owners = keepAll{}
	}
	r := &reconciler{m: m, owners: owners, known: map[string]bool{}}
	return errors.Join(r.namespaces(ctx), r.endpoints(ctx), r.ports(ctx), r.links(ctx), r.rules(ctx))
}

// reconciler is one Reconcile run.
type reconciler struct {
	m      *Manager
	owners Owners
	known  map[string]bool // container ID -> exists, as owners said
	// dropped counts the rule tags this run deleted.
	dropped int
}

// exists asks owners once per run; an error counts as "exists" (keep).
func (r *reconciler) exists(ctx context.Context, id string) (bool, error) {
	if v, ok := r.known[id]; ok {
		return v, nil
	}
	v, err := r.owners.Exists(ctx, id)
	if err != nil {
		return true, fmt.Errorf("reconcile container %s: %w", short(id), err)
	}
	r.known[id] = v
	return v, nil
}

// locked runs f under the container's lock unless someone else holds it.
func (r *reconciler) locked(id string, f func() error) error {
	unlock, ok, err := r.owners.TryLock(id)
	if err != nil {
		return fmt.Errorf("reconcile container %s: %w", short(id), err)
	}
	if !ok {
		return nil // an operation on it is in flight
	}
	defer unlock()
	return f()
}

// namespaces removes namespace files that are no namespace (never mounted, or
// half removed) and the namespaces of containers without a record.
func (r *reconciler) namespaces(ctx context.Context) error {
	dir := r.m.netnsDir()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reconcile %s: %w", dir, err)
	}
	var errs []error
	for _, e := range ents {
		id := e.Name()
		if isNamespace(r.m.NamespacePath(id)) {
			alive, err := r.exists(ctx, id)
			if alive {
				errs = append(errs, err)
				continue
			}
		}
		errs = append(errs, r.locked(id, func() error { return r.dropNamespace(ctx, id) }))
	}
	return errors.Join(errs...)
}

// dropNamespace removes the namespace file of id, unless, looked at again
// under the netns lock (no namespace is half made then), it is a namespace of
// a container that exists. The caller holds the container's lock.
func (r *reconciler) dropNamespace(ctx context.Context, id string) error {
	return r.m.withNetnsLock(func() error {
		if isNamespace(r.m.NamespacePath(id)) {
			if alive, err := r.exists(ctx, id); alive {
				return err
			}
		}
		return r.m.removeNamespace(id, true)
	})
}

// endpoints frees the veth and lease of every endpoint whose namespace is gone
// or whose container has no record.
func (r *reconciler) endpoints(ctx context.Context) error {
	rows, err := r.m.db.QueryContext(ctx, `SELECT network_id, container_id, host_veth, ns_path FROM net_endpoints`)
	if err != nil {
		return fmt.Errorf("reconcile endpoints: %w", err)
	}
	type row struct{ net, ctr, veth, ns string }
	var eps []row
	for rows.Next() {
		var e row
		if err := rows.Scan(&e.net, &e.ctr, &e.veth, &e.ns); err != nil {
			rows.Close()
			return fmt.Errorf("reconcile endpoints: %w", err)
		}
		eps = append(eps, e)
	}
	rows.Close()
	var errs []error
	for _, ep := range eps {
		stale := func() (bool, error) {
			if !isNamespace(ep.ns) {
				return true, nil
			}
			alive, err := r.exists(ctx, ep.ctr)
			return !alive, err
		}
		if s, err := stale(); !s {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, r.locked(ep.ctr, func() error {
			if s, err := stale(); !s {
				return err
			}
			if err := deleteLink(ep.veth); err != nil {
				return err
			}
			return r.m.unlease(ctx, ep.net, ep.ctr)
		}))
	}
	return errors.Join(errs...)
}

// ports unpublishes the ports of containers without any endpoint (a
// container's ports are published after its endpoints are made, and dropped
// with them).
func (r *reconciler) ports(ctx context.Context) error {
	const q = `SELECT DISTINCT container_id FROM net_ports
		WHERE container_id NOT IN (SELECT container_id FROM net_endpoints)`
	stale, err := r.m.strings(ctx, q)
	if err != nil {
		return fmt.Errorf("reconcile ports: %w", err)
	}
	var errs []error
	for _, id := range stale {
		errs = append(errs, r.locked(id, func() error {
			var n int
			err := r.m.db.QueryRowContext(ctx, `SELECT count(*) FROM net_endpoints WHERE container_id = ?`, id).Scan(&n)
			if err != nil || n > 0 {
				return err
			}
			return r.m.Unpublish(ctx, id)
		}))
	}
	return errors.Join(errs...)
}

// links deletes berth-named veths and bridges that no record owns. The links
// are listed first and the records read after: every operation records an
// endpoint or network before it makes its link. A link is deleted by its
// index, so a new one made since under the same name is not touched.
func (r *reconciler) links(ctx context.Context) error {
	links, err := retryDump(netlink.LinkList)
	if err != nil {
		return fmt.Errorf("reconcile links: %w", err)
	}
	owned := map[string]bool{}
	bridges, err := r.m.strings(ctx, `SELECT bridge FROM net_networks`)
	if err != nil {
		return fmt.Errorf("reconcile links: %w", err)
	}
	veths, err := r.m.strings(ctx, `SELECT host_veth FROM net_endpoints`)
	if err != nil {
		return fmt.Errorf("reconcile links: %w", err)
	}
	for _, name := range append(bridges, veths...) {
		owned[name] = true
	}
	var errs []error
	for _, l := range links {
		name := l.Attrs().Name
		ours := (l.Type() == "veth" && strings.HasPrefix(name, "v"+r.m.opt.Name)) ||
			(l.Type() == "bridge" && (name == r.m.DefaultBridge() || strings.HasPrefix(name, r.m.opt.Name+"-")))
		if !ours || owned[name] {
			continue
		}
		if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
			errs = append(errs, fmt.Errorf("reconcile: delete link %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// rules deletes rules tagged for networks or containers without records. The
// rules are listed first and the records read after (records come first
// when rules are made); a network's rules are deleted under the netmgr lock
// they are made under, a container's under the container's lock.
func (r *reconciler) rules(ctx context.Context) error {
	tags, err := r.m.allTags()
	if err != nil {
		return err
	}
	if len(tags) == 0 { // no rules: the table, if any, is empty
		return r.m.withLock(r.m.dropEmptyTable)
	}
	var errs []error
	for tag := range tags {
		if id, ok := strings.CutPrefix(tag, "berth net:"); ok {
			errs = append(errs, r.m.withLock(func() error {
				return r.dropRulesUnless(ctx, tag, `SELECT count(*) FROM net_networks WHERE id = ?`, id)
			}))
		} else if id, ok := strings.CutPrefix(tag, "berth ctr:"); ok {
			errs = append(errs, r.locked(id, func() error {
				return r.m.withLock(func() error {
					return r.dropRulesUnless(ctx, tag, `SELECT count(*) FROM net_ports WHERE container_id = ?`, id)
				})
			}))
		}
	}
	if r.dropped == 0 { // every rule stays: the table is not empty
		return errors.Join(errs...)
	}
	return errors.Join(append(errs, r.m.withLock(r.m.dropEmptyTable))...)
}

// dropRulesUnless deletes the rules tagged tag unless query (a count of the
// records of arg) finds one, and counts the drop. The caller holds m.lock.
func (r *reconciler) dropRulesUnless(ctx context.Context, tag, query, arg string) error {
	var n int
	if err := r.m.db.QueryRowContext(ctx, query, arg).Scan(&n); err != nil {
		return fmt.Errorf("reconcile rule %s: %w", tag, err)
	}
	if n > 0 {
		return nil
	}
	r.dropped++
	return r.m.deleteRules(tag)
}

// strings runs a query of one text column.
func (m *Manager) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := m.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (m *Manager) withLock(f func() error) error {
	unlock, err := m.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return f()
}
