package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/monitor"
	"berth/engine/runner"
	"berth/engine/spec"
)

// UpdateOptions are the changes docker update asks for; a nil field keeps
// the container's current value.
type UpdateOptions struct {
	Memory     *int64 // bytes
	MemorySwap *int64 // memory+swap bytes, -1 unlimited swap
	NanoCPUs   *int64 // CPUs × 1e9
	CPUShares  *int64
	CpusetCpus *string
	PidsLimit  *int64 // <= 0: unlimited
	// MemoryReservation is the soft memory limit in bytes; CPUPeriod and
	// CPUQuota the CFS period and quota in µs (-1 quota: unlimited).
	MemoryReservation *int64
	CPUPeriod         *int64
	CPUQuota          *int64
	Restart           *monitor.RestartPolicy
}

// Update changes a container's limits and restart policy, as docker update
// does. A running (or paused) container gets the new limits at once, through
// its cgroup; the record keeps them, so that inspect shows them and every
// later start applies them; a running container's monitor applies the new
// restart policy to its next exit. Bad values are refused before anything
// changes. It records an "update" event.
func (e *Engine) Update(ctx context.Context, ref string, o UpdateOptions) error {
	row, err := e.db.Get(ctx, ref)
	if err != nil {
		return err
	}
	unlock, err := e.lock(row.ID)
	if err != nil {
		return err
	}
	defer unlock()
	c, err := e.load(row)
	if err != nil {
		return err
	}
	rec, err := decodeRecord(row.Data)
	if err != nil {
		return err
	}
	h := e.host.spec(e.containerDir(c.ID))
	old := rec.HostConfig
	next, err := applyUpdate(old, o, h)
	if err != nil {
		return err
	}
	var restore func() error
	if c.State.Running && !c.State.Restarting {
		if restore, err = e.applyLimits(c.ID, next.Resources, o, h); err != nil {
			return err
		}
	}
	rec.HostConfig = next
	if err := e.persistUpdate(ctx, c.ID, rec, o, h); err != nil {
		if restore != nil {
			_ = restore() // put the old limits back
		}
		rec.HostConfig = old
		_ = e.persistUpdate(context.WithoutCancel(ctx), c.ID, rec, o, h)
		return err
	}
	e.emit("update", c, nil)
	return nil
}

// applyUpdate lays o over the host config h, with Docker's checks: the new
// limits must be valid on this host, a memory limit above an explicit
// memory+swap limit needs a new --memory-swap, and a restart policy cannot be
// set on a --rm container.
func applyUpdate(cur HostConfig, o UpdateOptions, h spec.Host) (HostConfig, error) {
	next := cur
	r := &next.Resources
	if o.Memory != nil {
		if cur.MemorySwap > 0 && *o.Memory > cur.MemorySwap && o.MemorySwap == nil {
			return cur, errdefs.ErrInvalidArgument.WithMessage("memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
		}
		r.Memory = *o.Memory
	}
	if o.MemorySwap != nil {
		r.MemorySwap = *o.MemorySwap
	}
	if o.NanoCPUs != nil {
		r.NanoCPUs = *o.NanoCPUs
	}
	for _, f := range []struct {
		dst *int64
		v   *int64
	}{{&r.MemoryReservation, o.MemoryReservation}, {&r.CPUPeriod, o.CPUPeriod}, {&r.CPUQuota, o.CPUQuota}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if o.CPUShares != nil {
		r.CPUShares = *o.CPUShares
	}
	if o.CpusetCpus != nil {
		r.CpusetCpus = *o.CpusetCpus
	}
	if o.PidsLimit != nil {
		r.PidsLimit = nil
		if *o.PidsLimit > 0 {
			p := *o.PidsLimit
			r.PidsLimit = &p
		}
	}
	if err := spec.ValidateResources(*r, h); err != nil {
		return cur, err
	}
	if o.Restart != nil {
		if err := validateRestart(*o.Restart); err != nil {
			return cur, err
		}
		if cur.AutoRemove && o.Restart.Name != "" && o.Restart.Name != "no" {
			return cur, errdefs.ErrInvalidArgument.WithMessage("restart policy cannot be updated because AutoRemove is enabled for the container")
		}
		next.RestartPolicy = *o.Restart
	}
	return next, nil
}

// applyLimits writes the limits that o changes into the running container's
// cgroup and returns how to put the old ones back (nil if nothing changed).
// A container that stopped meanwhile has no cgroup to change: its next start
// applies the record.
func (e *Engine) applyLimits(id string, r spec.Resources, o UpdateOptions, h spec.Host) (func() error, error) {
	lr, err := spec.LinuxResources(r, h)
	if err != nil {
		return nil, err
	}
	l := cgroupLimits(lr, r, o)
	if l == (runner.Limits{}) {
		return nil, nil
	}
	restore, err := runner.Update(e.stateRoot(), id, l)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	return restore, err
}

// cgroupLimits picks from the OCI resources lr (made from r) the groups of
// limits that o changes.
func cgroupLimits(lr *specs.LinuxResources, r spec.Resources, o UpdateOptions) runner.Limits {
	var l runner.Limits
	if (o.Memory != nil || o.MemorySwap != nil) && lr.Memory != nil && lr.Memory.Limit != nil {
		l.Memory, l.MemorySwap = lr.Memory.Limit, lr.Memory.Swap
	}
	if o.MemoryReservation != nil && r.MemoryReservation > 0 {
		v := r.MemoryReservation
		l.MemoryReservation = &v
	}
	cpu := lr.CPU
	if cpu == nil {
		cpu = &specs.LinuxCPU{}
	}
	if o.NanoCPUs != nil || o.CPUQuota != nil || o.CPUPeriod != nil {
		q, p := int64(-1), uint64(100000) // no quota, the kernel's default period
		if cpu.Quota != nil {
			q = *cpu.Quota
		}
		if cpu.Period != nil {
			p = *cpu.Period
		}
		l.CPUQuota, l.CPUPeriod = &q, &p
	}
	if o.CPUShares != nil && cpu.Shares != nil {
		l.CPUShares = cpu.Shares
	}
	if o.CpusetCpus != nil {
		l.CpusetCpus = &cpu.Cpus
	}
	if o.PidsLimit != nil {
		p := int64(-1) // unlimited
		if r.PidsLimit != nil && *r.PidsLimit > 0 {
			p = *r.PidsLimit
		}
		l.PidsLimit = &p
	}
	return l
}

// persistUpdate keeps the update: in the spec a monitor restarts the
// container from, in the monitor's config (the restart policy), and in the
// record.
func (e *Engine) persistUpdate(ctx context.Context, id string, rec *record, o UpdateOptions, h spec.Host) error {
	dir := e.containerDir(id)
	if err := updateSpecFile(filepath.Join(dir, "spec.json"), rec.HostConfig.Resources, h); err != nil {
		return err
	}
	if o.Restart != nil {
		if err := updateMonitorConfig(filepath.Join(dir, "monitor.json"), rec.HostConfig.RestartPolicy); err != nil {
			return err
		}
	}
	return e.saveRecord(ctx, id, rec)
}

// updateSpecFile puts the limits r into the runtime spec at path, if the
// container was ever started, keeping its other resources (device rules).
func updateSpecFile(path string, r spec.Resources, h spec.Host) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("container spec: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("container spec %s: %w", path, err)
	}
	lr, err := spec.LinuxResources(r, h)
	if err != nil {
		return err
	}
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	if s.Linux.Resources == nil {
		s.Linux.Resources = &specs.LinuxResources{}
	}
	s.Linux.Resources.Memory, s.Linux.Resources.CPU, s.Linux.Resources.Pids = lr.Memory, lr.CPU, lr.Pids
	return monitor.WriteJSON(path, &s)
}

// setMonitorNetworks rewrites the networks in a running container's monitor
// config, which the monitor reads at the exit to report leaving them. A
// config that cannot be rewritten only costs those events.
func (e *Engine) setMonitorNetworks(id string, refs []monitor.NetworkRef) {
	path := filepath.Join(e.containerDir(id), "monitor.json")
	if cfg, err := monitor.ReadConfig(path); err == nil {
		cfg.Networks = refs
		_ = monitor.WriteJSON(path, cfg)
	}
}

// updateMonitorConfig rewrites the restart policy in a monitor's config
// file, which the monitor reads again at each exit.
func updateMonitorConfig(path string, p monitor.RestartPolicy) error {
	cfg, err := monitor.ReadConfig(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("monitor config: %w", err)
	}
	cfg.Restart = p
	return monitor.WriteJSON(path, cfg)
}
