package spec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const cpuPeriod = 100000 // µs, Docker's CFS period

// resources turns docker run's limits into OCI cgroup resources, checking them
// against the host first.
func resources(r Resources, h Host) (*specs.LinuxResources, error) {
	if err := ValidateResources(r, h); err != nil {
		return nil, err
	}
	out := &specs.LinuxResources{}
	if r.Memory > 0 || r.MemoryReservation > 0 {
		mem := &specs.LinuxMemory{}
		if r.Memory > 0 {
			mem.Limit = &r.Memory
			if swap := r.SwapLimit(h); swap != 0 && h.SwapAccount {
				mem.Swap = &swap
			}
		}
		if r.MemoryReservation > 0 {
			mem.Reservation = &r.MemoryReservation
		}
		out.Memory = mem
	}
	cpu := &specs.LinuxCPU{}
	switch {
	case r.NanoCPUs > 0:
		q := r.NanoCPUs * cpuPeriod / 1e9
		p := uint64(cpuPeriod)
		cpu.Quota, cpu.Period = &q, &p
	case r.CPUQuota != 0 || r.CPUPeriod != 0:
		if r.CPUQuota != 0 {
			cpu.Quota = &r.CPUQuota
		}
		if r.CPUPeriod != 0 {
			p := uint64(r.CPUPeriod)
			cpu.Period = &p
		}
	}
	if r.CPUShares > 0 {
		s := uint64(r.CPUShares)
		cpu.Shares = &s
	}
	cpu.Cpus = r.CpusetCpus
	if cpu.Quota != nil || cpu.Period != nil || cpu.Shares != nil || cpu.Cpus != "" {
		out.CPU = cpu
	}
	if r.PidsLimit != nil && *r.PidsLimit > 0 {
		out.Pids = &specs.LinuxPids{Limit: r.PidsLimit}
	}
	return out, nil
}

// SwapLimit is the memory+swap limit a container gets, as Docker reports it:
// --memory-swap when given; with only --memory, twice that (as much swap as
// memory), or -1 (unlimited) where the kernel has no swap accounting; 0
// without --memory.
func (r Resources) SwapLimit(h Host) int64 {
	switch {
	case r.Memory <= 0 || r.MemorySwap != 0:
		return r.MemorySwap
	case h.SwapAccount:
		return 2 * r.Memory
	}
	return -1
}

// ValidateResources checks limits the way docker run does, before anything is made.
func ValidateResources(r Resources, h Host) error {
	bad := func(format string, a ...any) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, a...))
	}
	switch {
	case r.Memory < 0:
		return bad("invalid --memory %d: must not be negative", r.Memory)
	case r.Memory > 0 && r.Memory < 6*1024*1024:
		return bad("invalid --memory %d: minimum allowed is 6MB", r.Memory)
	case r.MemorySwap > 0 && r.Memory == 0:
		return bad("--memory-swap needs --memory")
	case r.MemorySwap > 0 && r.MemorySwap < r.Memory:
		return bad("invalid --memory-swap %d: must be at least --memory (%d)", r.MemorySwap, r.Memory)
	case r.MemorySwap > 0 && !h.SwapAccount:
		return bad("--memory-swap: this host's kernel has no swap accounting")
	case r.MemorySwap < -1:
		return bad("invalid --memory-swap %d", r.MemorySwap)
	case r.NanoCPUs < 0:
		return bad("invalid --cpus: must not be negative")
	case h.OnlineCPUs > 0 && r.NanoCPUs > int64(h.OnlineCPUs)*1e9:
		return bad("invalid --cpus %.2f: range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available",
			float64(r.NanoCPUs)/1e9, h.OnlineCPUs, h.OnlineCPUs)
	case r.NanoCPUs > 0 && r.NanoCPUs < 1e7:
		return bad("invalid --cpus: minimum is 0.01")
	case r.CPUShares < 0:
		return bad("invalid --cpu-shares %d: must not be negative", r.CPUShares)
	}
	if r.CpusetCpus != "" {
		if err := validateCpuset(r.CpusetCpus, h.OnlineCPUs); err != nil {
			return err
		}
	}
	return validateSoftLimits(r)
}

// validateSoftLimits checks --memory-reservation, --cpu-period and
// --cpu-quota in dockerd's words.
func validateSoftLimits(r Resources) error {
	bad := func(msg string) error { return errdefs.ErrInvalidArgument.WithMessage(msg) }
	switch {
	case r.MemoryReservation < 0:
		return bad(fmt.Sprintf("invalid --memory-reservation %d: must not be negative", r.MemoryReservation))
	case r.MemoryReservation > 0 && r.MemoryReservation < 6*1024*1024:
		return bad("Minimum memory reservation allowed is 6MB")
	case r.Memory > 0 && r.MemoryReservation > r.Memory:
		return bad("Minimum memory limit can not be less than memory reservation limit, see usage")
	case r.NanoCPUs > 0 && r.CPUPeriod > 0:
		return bad("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	case r.NanoCPUs > 0 && r.CPUQuota > 0:
		return bad("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
	case r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000):
		return bad("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	case r.CPUQuota > 0 && r.CPUQuota < 1000:
		return bad("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	case r.CPUQuota < -1:
		return bad(fmt.Sprintf("invalid --cpu-quota %d: -1 (unlimited) or at least 1000", r.CPUQuota))
	}
	return nil
}

func validateCpuset(s string, online int) error {
	for _, part := range strings.Split(s, ",") {
		lo, hi, found := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if found {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 0 || b < a {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --cpuset-cpus %q", s))
		}
		if online > 0 && b >= online {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --cpuset-cpus %q: CPU %d is not available (host has %d)", s, b, online))
		}
	}
	return nil
}

var ulimitNames = map[string]string{
	"core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA", "fsize": "RLIMIT_FSIZE",
	"locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK", "msgqueue": "RLIMIT_MSGQUEUE",
	"nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE", "nproc": "RLIMIT_NPROC",
	"rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO", "rttime": "RLIMIT_RTTIME",
	"sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK", "as": "RLIMIT_AS",
}

// ParseUlimit parses docker's --ulimit name=soft[:hard].
func ParseUlimit(s string) (Ulimit, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok || ulimitNames[name] == "" {
		return Ulimit{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --ulimit %q: want name=soft[:hard] with a known name", s))
	}
	softS, hardS, hasHard := strings.Cut(val, ":")
	soft, err := strconv.ParseInt(softS, 10, 64)
	if err != nil {
		return Ulimit{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --ulimit %q: soft limit %q is not a number", s, softS))
	}
	hard := soft
	if hasHard {
		if hard, err = strconv.ParseInt(hardS, 10, 64); err != nil {
			return Ulimit{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --ulimit %q: hard limit %q is not a number", s, hardS))
		}
	}
	if soft > hard {
		return Ulimit{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --ulimit %q: soft limit %d is above hard limit %d", s, soft, hard))
	}
	return Ulimit{Name: name, Soft: soft, Hard: hard}, nil
}

// rlimits gives Docker's default open-file limit (capped at what the caller may
// grant) plus the --ulimit values, refusing any above the caller's hard limit.
func rlimits(us []Ulimit, nofileHard uint64) ([]specs.POSIXRlimit, error) {
	nofile := uint64(1048576)
	if nofileHard > 0 && nofileHard < nofile {
		nofile = nofileHard
	}
	out := []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: nofile, Hard: nofile}}
	for _, u := range us {
		t := ulimitNames[u.Name]
		if t == "" {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unknown ulimit %q", u.Name))
		}
		if t == "RLIMIT_NOFILE" && nofileHard > 0 && uint64(u.Hard) > nofileHard {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("--ulimit nofile=%d:%d is above this host's hard limit %d (berth lacks CAP_SYS_RESOURCE to raise it)", u.Soft, u.Hard, nofileHard))
		}
		r := specs.POSIXRlimit{Type: t, Soft: uint64(u.Soft), Hard: uint64(u.Hard)}
		replaced := false
		for i := range out {
			if out[i].Type == t {
				out[i], replaced = r, true
			}
		}
		if !replaced {
			out = append(out, r)
		}
	}
	return out, nil
}
