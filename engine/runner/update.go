package runner

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/seccomp"
)

// Limits are the cgroup limits Update changes on a running container; a nil
// field keeps its current value.
type Limits struct {
	Memory     *int64  // bytes
	MemorySwap *int64  // memory+swap bytes, -1 unlimited
	CPUQuota   *int64  // µs per CPUPeriod, -1 unlimited
	CPUPeriod  *uint64 // µs
	CPUShares  *uint64 // relative weight (converted to cpu.weight on cgroup v2)
	CpusetCpus *string // e.g. "0-1"
	PidsLimit  *int64  // -1 unlimited
	// MemoryReservation is the soft memory limit in bytes.
	MemoryReservation *int64
}

// Update changes the cgroup limits of the running container id in place, as
// runc update does: it loads the container, changes its cgroup resources and
// lets libcontainer write them (memory and swap in the order the kernel
// accepts) and record them in its state. On failure libcontainer puts the old
// values back; on success restore does, for a caller whose later step
// failed. A container that does not run is errdefs.ErrNotFound.
func Update(stateRoot, id string, l Limits) (restore func() error, err error) {
	c, err := Load(stateRoot, id)
	if err != nil {
		return nil, err
	}
	orig := c.Config()
	if orig.Cgroups == nil || orig.Cgroups.Resources == nil {
		return nil, fmt.Errorf("update container %s: it has no cgroup", id)
	}
	cfg := orig
	// Config shares the cgroup settings with the container: copy them, so
	// that a failed Set can put the old values back.
	cg := *cfg.Cgroups
	res := *cg.Resources
	cg.Resources, cfg.Cgroups = &res, &cg
	l.apply(&res)
	// Device rules are not ours to change here (runc update skips them too).
	res.SkipDevices = true
	if err := c.Set(cfg); err != nil {
		if errors.Is(err, libcontainer.ErrNotRunning) {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("container %s is not running", id))
		}
		return nil, fmt.Errorf("update cgroup of container %s: %w", id, err)
	}
	return func() error {
		back := *orig.Cgroups.Resources
		back.SkipDevices = true
		cg := *orig.Cgroups
		cg.Resources, orig.Cgroups = &back, &cg
		if err := c.Set(orig); err != nil {
			return fmt.Errorf("restore cgroup of container %s: %w", id, err)
		}
		return nil
	}, nil
}

// apply sets the limits that l carries in r.
func (l Limits) apply(r *cgroups.Resources) {
	if l.Memory != nil {
		r.Memory = *l.Memory
	}
	if l.MemorySwap != nil {
		r.MemorySwap = *l.MemorySwap
	}
	if l.CPUQuota != nil {
		r.CpuQuota = *l.CPUQuota
	}
	if l.CPUPeriod != nil {
		r.CpuPeriod = *l.CPUPeriod
	}
	if l.CPUShares != nil {
		r.CpuShares = *l.CPUShares
		r.CpuWeight = cgroups.ConvertCPUSharesToCgroupV2Value(*l.CPUShares)
	}
	if l.CpusetCpus != nil {
		r.CpusetCpus = *l.CpusetCpus
	}
	if l.PidsLimit != nil {
		p := *l.PidsLimit
		r.PidsLimit = &p
	}
	if l.MemoryReservation != nil {
		r.MemoryReservation = *l.MemoryReservation
	}
}

// SeccompEnabled reports whether this binary was built with seccomp support
// (build tag seccomp and libseccomp), so that containers get Docker's profile.
func SeccompEnabled() bool { return seccomp.Enabled }

// LibcontainerVersion is the version of runc's libcontainer linked into this
// binary ("v1.5.2"), read from the build information; "" if unknown.
func LibcontainerVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/opencontainers/runc" {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}
