package engine

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/monitor"
	"berth/netmgr"
)

// A container holds its network endpoints (veth, address lease, published
// ports, DNS names, namespace) only while it runs, as with dockerd: they are
// released when it stops and made again, with a new address unless one was
// asked for (--ip), at its next start. Its monitor records the "network
// disconnect" events at the exit and "network connect" at each start. The
// release is made by whichever berth process learns of the end first, under
// the container's lock: Stop once the container is down, the next Start
// before it connects again, a start or connect on the same network (another
// container may want the address), network rm, and the recovery when an
// engine opens (a container that exited with no berth process around, or a
// data root from before this rule).

// endpointAsk is what a container's endpoint on one network is asked to be
// at each start: the static address (--ip) and MAC address given, if any.
type endpointAsk struct {
	IP  string `json:"IP,omitempty"`
	MAC string `json:"MAC,omitempty"`
}

// setAsked records what the endpoint on network name is asked to be.
func setAsked(rec *record, name string, want *EndpointSettings) {
	if rec.Asked == nil {
		rec.Asked = map[string]endpointAsk{}
	}
	a := endpointAsk{}
	if want != nil {
		a = endpointAsk{IP: want.IPAddress, MAC: want.MacAddress}
	}
	rec.Asked[name] = a
}

// asked is what the endpoint on network name is asked to be. A record from
// before Asked existed carries the request in its endpoint settings until the
// first start, which overwrote it with what was given: a container started
// since gets a free address (it cannot tell an asked address from a given one).
func asked(rec *record, name string) endpointAsk {
	if rec.Asked != nil {
		return rec.Asked[name]
	}
	want := rec.Networks[name]
	if want == nil || want.EndpointID != "" {
		return endpointAsk{}
	}
	return endpointAsk{IP: want.IPAddress, MAC: want.MacAddress}
}

// releasable reports whether a container whose lock the caller holds may
// lose its endpoints: it does not run, will not be restarted by its monitor,
// and is not being started (its monitor waits for the attaching client).
func releasable(c *Container, st *monitor.State) bool {
	if c.State.Running || c.State.Restarting {
		return false
	}
	return !(st.Alive() && st.Status == monitor.StatusCreated)
}

// holdsNetwork reports whether container id still holds any of its network
// endpoints, namespace or published ports, or its record still shows them.
func (e *Engine) holdsNetwork(ctx context.Context, id string, rec *record) (bool, error) {
	for _, s := range rec.Networks {
		if s != nil && s.EndpointID != "" {
			return true, nil
		}
	}
	if len(rec.Ports) > 0 {
		return true, nil
	}
	if _, err := os.Lstat(e.nets.NamespacePath(id)); err == nil {
		return true, nil
	}
	eps, err := e.nets.Endpoints(ctx, id)
	if err != nil {
		return false, err
	}
	if len(eps) > 0 {
		return true, nil
	}
	owners, err := e.nets.PortOwners(ctx)
	if err != nil {
		return false, err
	}
	for _, o := range owners {
		if o == id {
			return true, nil
		}
	}
	return false, nil
}

// releaseEndpoints frees the network endpoints of a container that does not
// run (the caller holds its lock and checked releasable). The record goes
// first, then the host veths, address leases and published ports, the DNS
// names of its networks, and the namespace last: a kill between two steps
// leaves the namespace (and maybe leases), which the recovery at the next
// open sees and releases again (as does the next start).
func (e *Engine) releaseEndpoints(ctx context.Context, c *Container, rec *record) error {
	if !ownsNetwork(c.HostConfig.NetworkMode) {
		return nil
	}
	holds, err := e.holdsNetwork(ctx, c.ID, rec)
	if err != nil || !holds {
		return err
	}
	clearEndpoints(rec)
	if err := e.saveRecord(ctx, c.ID, rec); err != nil {
		return err
	}
	e.at("netstop.recorded")
	if err := e.nets.Release(ctx, c.ID); err != nil {
		return fmt.Errorf("release the network endpoints of container %s: %w", c.Name[1:], err)
	}
	e.at("netstop.released")
	for name, s := range rec.Networks {
		id := ""
		if s != nil {
			id = s.NetworkID
		}
		if id == "" {
			n, err := e.nets.Get(ctx, name)
			if err != nil {
				continue // a network removed meanwhile
			}
			id = n.ID
		}
		if err := e.updateNames(ctx, id); err != nil {
			return err
		}
	}
	e.at("netstop.names-updated")
	if err := e.nets.DeleteNamespace(c.ID); err != nil {
		return fmt.Errorf("release the network namespace of container %s: %w", c.Name[1:], err)
	}
	return nil
}

// clearEndpoints empties what the record shows of endpoints it no longer
// holds, as dockerd does at a stop: the network, aliases, DNS names and the
// asked address stay; the address, gateway, MAC and endpoint go.
func clearEndpoints(rec *record) {
	if rec.Asked == nil { // a record from before: keep what its endpoints ask
		asks := map[string]endpointAsk{}
		for name := range rec.Networks {
			asks[name] = asked(rec, name)
		}
		rec.Asked = asks
	}
	nets := make(map[string]*EndpointSettings, len(rec.Networks))
	for name, s := range rec.Networks {
		if s != nil {
			s = &EndpointSettings{IPAMConfig: s.IPAMConfig, Aliases: s.Aliases, NetworkID: s.NetworkID, DNSNames: s.DNSNames}
		}
		nets[name] = s
	}
	rec.Networks, rec.Ports = nets, nil
}

// releaseIfEnded releases the endpoints of container id if it does not run,
// under its lock (waiting for it as ctx allows).
func (e *Engine) releaseIfEnded(ctx context.Context, id string) error {
	row, unlock, err := e.lockRow(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	return e.releaseLocked(ctx, row.ID)
}

// releaseLocked is releaseIfEnded for a container whose lock the caller holds.
func (e *Engine) releaseLocked(ctx context.Context, id string) error {
	row, err := e.db.Get(ctx, id)
	if err != nil {
		return err
	}
	c, st, err := e.loadLocked(row)
	if err != nil {
		return err
	}
	if !releasable(c, st) {
		return nil
	}
	rec, err := decodeRecord(row.Data)
	if err != nil {
		return fmt.Errorf("container %s: %w", id, err)
	}
	if rec.Removal != nil {
		return nil // the removal releases everything
	}
	return e.releaseEndpoints(ctx, c, rec)
}

// tryRelease releases the endpoints of container id if it has ended and no
// operation holds its lock (one that does is a start, stop, removal or
// connect, which sees to them).
func (e *Engine) tryRelease(ctx context.Context, id string) error {
	unlock, ok := e.tryLock(id)
	if !ok {
		return nil
	}
	defer unlock()
	err := e.releaseLocked(ctx, id)
	if errdefs.IsNotFound(err) { // removed meanwhile
		return nil
	}
	return err
}

// sweepNetwork releases the endpoints that ended containers still hold on
// network n (a container that exited with no berth process around keeps them
// until one looks), so that a container joining it finds their addresses
// free, as dockerd would. Members that run are passed over without a lock.
func (e *Engine) sweepNetwork(ctx context.Context, n *netmgr.Network, self string) error {
	members, err := e.nets.Members(ctx, n.ID)
	if err != nil {
		return err
	}
	for _, ep := range members {
		if ep.ContainerID == self || !e.looksEnded(ep.ContainerID) {
			continue
		}
		if err := e.tryRelease(ctx, ep.ContainerID); err != nil {
			return err
		}
	}
	return nil
}

// looksEnded reports, without a lock, whether container id has ended: its
// state says exited (or dead) and its monitor is gone. A read can only be
// early for a container being started again, which the lock then tells. One
// whose monitor died while its state says running is system check's to
// report and mark exited (which releases it then).
func (e *Engine) looksEnded(id string) bool {
	st, err := monitor.ReadState(e.statePath(id))
	return err == nil && exitedState(st) && !st.Alive()
}

// exitedState reports whether a state says the container has exited for
// good (no restart coming); its monitor may still be finishing.
func exitedState(st *monitor.State) bool {
	return st.Status == monitor.StatusExited || st.Status == monitor.StatusDead
}

// awaitEnded waits, as ctx allows, for the monitor of container id to be
// gone once its state says it has exited (the monitor is then merely
// finishing: its events, an --rm removal). It reports whether the container
// has ended; false at once for one that runs, restarts or is no more.
func (e *Engine) awaitEnded(ctx context.Context, id string) bool {
	for {
		st, err := monitor.ReadState(e.statePath(id))
		if err != nil || !exitedState(st) {
			return false
		}
		if !st.Alive() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// liveMembers are the endpoints of network n but those of containers that
// have ended and not been released yet (what inspect and the used filter
// show; the next start on the network releases them).
func (e *Engine) liveMembers(ctx context.Context, netID string) ([]netmgr.Endpoint, error) {
	members, err := e.nets.Members(ctx, netID)
	if err != nil {
		return nil, err
	}
	out := members[:0]
	for _, ep := range members {
		if !e.looksEnded(ep.ContainerID) {
			out = append(out, ep)
		}
	}
	return out, nil
}

// recoverEndpoints releases, when an engine opens, the endpoints that
// containers which have ended still hold: those that exited with no berth
// process around, whose release was killed halfway, or that stopped before
// endpoints were released at each stop.
func (e *Engine) recoverEndpoints(ctx context.Context) {
	eps, err := e.nets.AllEndpoints(ctx)
	if err != nil {
		e.warnings = append(e.warnings, "recovery: "+err.Error())
		return
	}
	ids, _ := e.nets.Namespaces()
	seen := map[string]bool{}
	for _, ep := range eps {
		ids = append(ids, ep.ContainerID)
	}
	for _, id := range ids {
		if seen[id] || !e.looksEnded(id) {
			continue
		}
		seen[id] = true
		if err := e.tryRelease(ctx, id); err != nil {
			e.warnings = append(e.warnings, "recovery: "+err.Error())
		}
	}
}
