package stats

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/errdefs"
)

// Default locations of the kernel interfaces the Reader uses.
const (
	defaultCgroupRoot = "/sys/fs/cgroup"
	defaultProcRoot   = "/proc"
)

// Target names one container to read: its cgroup and its network namespace.
type Target struct {
	// ID is the container ID, copied into the Sample.
	ID string
	// CgroupPath is the absolute cgroup path, e.g. "/berth/<id>".
	CgroupPath string
	// NetNSPath is "/proc/<pid>/ns/net" or a named netns path; "" means no
	// network stats.
	NetNSPath string
}

// Option configures a Reader.
type Option func(*Reader)

// WithMode makes the Reader read cgroups as in mode (cgroups.Legacy or
// cgroups.Hybrid read v1 controllers, cgroups.Unified reads cgroup2) instead
// of the host's mode.
func WithMode(mode cgroups.CGMode) Option {
	return func(r *Reader) { r.mode = mode }
}

// WithCgroupRoot sets where the cgroup file systems are: the directory that
// holds the v1 controller directories (cpu, memory, ...) or the cgroup2
// mountpoint. Default /sys/fs/cgroup. Tests point it at recorded trees.
func WithCgroupRoot(dir string) Option {
	return func(r *Reader) { r.root = dir }
}

// WithProcRoot sets where procfs is mounted (default /proc); the Reader reads
// stat and meminfo from it.
func WithProcRoot(dir string) Option {
	return func(r *Reader) { r.procRoot = dir }
}

// WithDetail makes the Reader read, into each Sample's Detail, the counters
// Docker's stats API reports beyond docker stats' columns (per-CPU time,
// user and system time, the memory high-water mark and fail count, the
// whole memory.stat): a few more files per container, for API clients.
func WithDetail() Option {
	return func(r *Reader) { r.detail = true }
}

// Reader reads raw counters of containers. It knows the host's cgroup mode and
// memory size and reads /proc/stat for the host CPU time. It holds no
// per-container state and is safe for concurrent use.
type Reader struct {
	mode     cgroups.CGMode
	root     string
	procRoot string
	memTotal uint64
	detail   bool
}

// NewReader returns a Reader for the host's cgroup mode, or as configured by
// opts.
func NewReader(opts ...Option) (*Reader, error) {
	r := &Reader{root: defaultCgroupRoot, procRoot: defaultProcRoot}
	for _, o := range opts {
		o(r)
	}
	if r.mode == 0 {
		r.mode = cgroups.Mode()
	}
	if r.mode == cgroups.Unavailable {
		return nil, errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf("new stats reader: no cgroup file system at %s", r.root))
	}
	data, err := os.ReadFile(filepath.Join(r.procRoot, "meminfo"))
	if err != nil {
		return nil, fmt.Errorf("new stats reader: %w", err)
	}
	if r.memTotal, err = parseMemTotal(data); err != nil {
		return nil, fmt.Errorf("new stats reader: %w", err)
	}
	return r, nil
}

// Mode returns the cgroup mode the Reader reads.
func (r *Reader) Mode() cgroups.CGMode { return r.mode }

// MemTotal returns the host's memory size in bytes.
func (r *Reader) MemTotal() uint64 { return r.memTotal }

// Read returns the raw counters of t (no percentages). A cgroup that does not
// exist (a stopped or removed container) reads as a zero Sample with ID and
// Time set, and no error.
func (r *Reader) Read(t Target) (Sample, error) {
	sys, err := r.readSystem()
	if err != nil {
		return Sample{}, fmt.Errorf("read stats of %q: %w", t.ID, err)
	}
	return r.read(t, sys)
}

// read is Read with the host CPU counters already read, so that a batch of
// targets shares one read of /proc/stat.
func (r *Reader) read(t Target, sys procStat) (Sample, error) {
	if !path.IsAbs(t.CgroupPath) || path.Clean(t.CgroupPath) != t.CgroupPath || t.CgroupPath == "/" {
		return Sample{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("read stats of %q: cgroup path %q must be absolute, clean and not the root", t.ID, t.CgroupPath))
	}
	s := Sample{ID: t.ID, Time: time.Now()}
	var (
		found bool
		err   error
	)
	if r.mode == cgroups.Unified {
		found, err = r.readV2(t.CgroupPath, &s)
	} else {
		found, err = r.readV1(t.CgroupPath, &s)
	}
	if err != nil {
		return Sample{}, fmt.Errorf("read stats of %q: %w", t.ID, err)
	}
	if !found {
		return Sample{ID: t.ID, Time: s.Time}, nil
	}
	if r.detail {
		if s.Detail, err = r.readDetail(t.CgroupPath); err != nil {
			return Sample{}, fmt.Errorf("read stats of %q: %w", t.ID, err)
		}
	}
	s.SystemUsageNS, s.OnlineCPUs = sys.systemNS, sys.onlineCPUs
	if t.NetNSPath != "" {
		if err := readNet(t.NetNSPath, &s); err != nil {
			return Sample{}, fmt.Errorf("read stats of %q: %w", t.ID, err)
		}
	}
	return s, nil
}

// readSystem reads the host CPU time and online CPU count.
func (r *Reader) readSystem() (procStat, error) {
	data, err := os.ReadFile(filepath.Join(r.procRoot, "stat"))
	if err != nil {
		return procStat{}, fmt.Errorf("read host cpu time: %w", err)
	}
	return parseProcStat(data)
}

// memoryLimit caps an unlimited (or larger than the host) limit at MemTotal.
func (r *Reader) memoryLimit(limit uint64) uint64 {
	if limit == 0 || limit > r.memTotal {
		return r.memTotal
	}
	return limit
}

// isNotExist reports whether err means the cgroup or one of its files is gone.
func isNotExist(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, cgroup1.ErrCgroupDeleted) ||
		errors.Is(err, syscall.ENODEV)
}
