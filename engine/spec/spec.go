// Package spec builds the OCI runtime spec of a berth container with Docker's
// defaults: namespaces, mounts, capabilities, masked and read-only paths, seccomp,
// rlimits and cgroup resources. It is pure: it reads nothing but the options it is
// given (and the host facts passed in Host), so every rule is table-tested.
package spec

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultCaps is Docker's default capability set.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// DefaultCaps returns a copy of Docker's default capability set.
func DefaultCaps() []string { return append([]string(nil), defaultCaps...) }

var maskedPaths = []string{
	"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
}

var readonlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// Host holds the facts of the host that the spec depends on.
type Host struct {
	CgroupNS      bool   // the kernel has cgroup namespaces
	NofileHard    uint64 // the caller's RLIMIT_NOFILE hard limit (0: unknown)
	SwapAccount   bool   // memory+swap limits are available
	Cgroup2       bool   // pure cgroup v2 host
	OnlineCPUs    int    // number of CPUs
	NetNSPath     string // join this network namespace; "" makes a new one
	ShareHostNet  bool   // --network host
	ContainerDir  string // holds hostname, hosts and resolv.conf of the container
	ResolvConfSrc string // resolv.conf to bind (defaults to ContainerDir/resolv.conf)
	// Bounding is the caller's capability bounding set; "all capabilities"
	// (--privileged, --cap-add ALL) means these. Nil means every known one.
	Bounding []string
	// Devices are the host's devices, which a privileged container gets.
	Devices []specs.LinuxDevice
}

// Resources are the cgroup limits of a container, as docker run's flags give them.
type Resources struct {
	Memory     int64    `json:"Memory"`     // bytes, 0 unlimited
	MemorySwap int64    `json:"MemorySwap"` // bytes memory+swap; -1 unlimited swap; 0 default
	NanoCPUs   int64    `json:"NanoCpus"`   // CPUs × 1e9
	CPUShares  int64    `json:"CpuShares"`  // relative weight
	CpusetCpus string   `json:"CpusetCpus"` // e.g. "0-1"
	PidsLimit  *int64   `json:"PidsLimit"`  // nil or <=0 unlimited
	Ulimits    []Ulimit `json:"Ulimits"`    // per-process limits
	// MemoryReservation is the soft memory limit in bytes
	// (--memory-reservation: memory.soft_limit_in_bytes, memory.low on v2).
	MemoryReservation int64 `json:"MemoryReservation"`
	// CPUPeriod and CPUQuota are the CFS period and the run time per period
	// in µs (--cpu-period, --cpu-quota; -1 quota is unlimited); --cpus sets
	// both in their stead.
	CPUPeriod int64 `json:"CpuPeriod"`
	CPUQuota  int64 `json:"CpuQuota"`
}

// Ulimit is one --ulimit value.
type Ulimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
}

// Options is what a container's spec is built from.
type Options struct {
	ID       string
	Hostname string
	// Domainname is the kernel's NIS domain name in the container's UTS
	// namespace (docker run --domainname).
	Domainname string
	Rootfs     string // absolute path of the mounted root filesystem
	Args       []string
	Env        []string
	Cwd        string
	UID, GID   uint32
	ExtraGIDs  []uint32
	Terminal   bool
	// ConsoleSize is the terminal's first size (rows, columns) when Terminal
	// is set; zero leaves it to the first resize.
	ConsoleSize [2]uint
	ReadOnly    bool
	Privileged  bool
	CapAdd      []string
	CapDrop     []string
	Resources   Resources
	Mounts      []specs.Mount // extra mounts (volumes, binds, tmpfs)
	CgroupsPath string        // absolute cgroup path, e.g. /berth/<id>
	SecurityOpt []string      // --security-opt values (see ParseSecurityOpts)
	// ShmSize is the size of /dev/shm in bytes; 0 is DefaultShmSize.
	ShmSize int64
	// Sysctls are namespaced sysctls to set (see ValidateSysctls).
	Sysctls map[string]string
	// OOMScoreAdj is the container's oom_score_adj, -1000..1000.
	OOMScoreAdj int
	// Share are the namespaces it shares rather than gets (--pid, --ipc, --uts).
	Share SharedNamespaces
	// Devices are the device nodes given with --device, and DeviceRules the
	// devices cgroup rules that allow them and --device-cgroup-rule's.
	Devices     []specs.LinuxDevice
	DeviceRules []specs.LinuxDeviceCgroup
}

// Build returns the OCI runtime spec for o on host h.
func Build(o Options, h Host) (*specs.Spec, error) {
	if o.Rootfs == "" || !strings.HasPrefix(o.Rootfs, "/") {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("rootfs %q must be absolute", o.Rootfs))
	}
	if len(o.Args) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("no command given and the image has none")
	}
	caps, err := Capabilities(o.Privileged, o.CapAdd, o.CapDrop, h.Bounding)
	if err != nil {
		return nil, err
	}
	rl, err := rlimits(o.Resources.Ulimits, h.NofileHard)
	if err != nil {
		return nil, err
	}
	sec, err := ParseSecurityOpts(o.SecurityOpt)
	if err != nil {
		return nil, err
	}
	cwd := o.Cwd
	if cwd == "" {
		cwd = "/"
	}
	s := &specs.Spec{
		Version:  specs.Version,
		Hostname: o.Hostname, Domainname: o.Domainname,
		Root: &specs.Root{Path: o.Rootfs, Readonly: o.ReadOnly},
		Process: &specs.Process{
			Terminal: o.Terminal,
			Args:     o.Args,
			Env:      o.Env,
			Cwd:      cwd,
			User:     specs.User{UID: o.UID, GID: o.GID, AdditionalGids: o.ExtraGIDs},
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			Rlimits: rl,
		},
		Mounts: append(defaultMounts(o.Privileged, o.ShmSize, h), o.Mounts...),
		Linux: &specs.Linux{
			CgroupsPath: o.CgroupsPath,
			Namespaces:  namespaces(h),
		},
	}
	if o.Terminal && o.ConsoleSize[0] > 0 && o.ConsoleSize[1] > 0 {
		s.Process.ConsoleSize = &specs.Box{Height: o.ConsoleSize[0], Width: o.ConsoleSize[1]}
	}
	res, err := resources(o.Resources, h)
	if err != nil {
		return nil, err
	}
	s.Linux.Resources = res
	if err := applySandbox(s, o, h); err != nil {
		return nil, err
	}
	applyShared(s, o.Share)
	setDevices(s, o.Privileged, h.Devices, o.Devices, o.DeviceRules)
	if err := applySecurity(s, o.Privileged, sec); err != nil {
		return nil, err
	}
	return s, nil
}

// dropX32 keeps Docker's rules but compiles them for the native and 32-bit x86
// ABIs only, not x32: libseccomp then refuses x32 syscalls outright (stricter
// than Docker, and no distribution ships x32 programs), and compiling one ABI
// fewer saves about 5 ms of every container start.
func dropX32(sc *specs.LinuxSeccomp) *specs.LinuxSeccomp {
	sc.Architectures = slices.DeleteFunc(sc.Architectures, func(a specs.Arch) bool { return a == specs.ArchX32 })
	return sc
}

func namespaces(h Host) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace},
		{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
	}
	switch {
	case h.ShareHostNet:
	case h.NetNSPath != "":
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: h.NetNSPath})
	default:
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	if h.CgroupNS {
		ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return ns
}

func defaultMounts(privileged bool, shmSize int64, h Host) []specs.Mount {
	sysOpts := []string{"nosuid", "noexec", "nodev", "ro"}
	if privileged {
		sysOpts = []string{"nosuid", "noexec", "nodev"}
	}
	m := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: sysOpts},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: shmOptions(shmSize)},
	}
	if h.ContainerDir != "" {
		resolv := h.ResolvConfSrc
		if resolv == "" {
			resolv = h.ContainerDir + "/resolv.conf"
		}
		for _, f := range []struct{ dst, src string }{
			{"/etc/hostname", h.ContainerDir + "/hostname"},
			{"/etc/hosts", h.ContainerDir + "/hosts"},
			{"/etc/resolv.conf", resolv},
		} {
			m = append(m, specs.Mount{Destination: f.dst, Type: "bind", Source: f.src, Options: []string{"rbind", "rprivate"}})
		}
	}
	return m
}

// Capabilities returns the capability set for --privileged, --cap-add and
// --cap-drop, as Docker computes it ("ALL" adds or drops every capability the
// caller has: bounding, or every known one when nil).
func Capabilities(privileged bool, add, drop, bounding []string) ([]string, error) {
	all := bounding
	if all == nil {
		all = allCaps
	}
	set := map[string]bool{}
	if privileged {
		for _, c := range all {
			set[c] = true
		}
	} else {
		for _, c := range defaultCaps {
			set[c] = true
		}
	}
	norm := func(list []string) ([]string, error) {
		var out []string
		for _, c := range list {
			n, err := NormalizeCap(c)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
	d, err := norm(drop)
	if err != nil {
		return nil, err
	}
	a, err := norm(add)
	if err != nil {
		return nil, err
	}
	for _, c := range d {
		if c == "ALL" {
			set = map[string]bool{}
			continue
		}
		delete(set, c)
	}
	for _, c := range a {
		if c == "ALL" {
			for _, x := range all {
				set[x] = true
			}
			continue
		}
		set[c] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out, nil
}

// NormalizeCap turns "net_admin" or "CAP_NET_ADMIN" into "CAP_NET_ADMIN" and
// refuses names the kernel does not know.
func NormalizeCap(c string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(c))
	if u == "ALL" {
		return u, nil
	}
	if !strings.HasPrefix(u, "CAP_") {
		u = "CAP_" + u
	}
	for _, k := range allCaps {
		if k == u {
			return u, nil
		}
	}
	return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unknown capability %q", c))
}

// CapsFromMask names the capabilities set in a mask such as /proc/self/status's CapBnd.
func CapsFromMask(mask uint64) []string {
	var out []string
	for i, name := range capsByNumber {
		if mask&(1<<uint(i)) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// capsByNumber lists the capabilities in the kernel's numbering.
var capsByNumber = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

var allCaps = []string{
	"CAP_AUDIT_CONTROL", "CAP_AUDIT_READ", "CAP_AUDIT_WRITE", "CAP_BLOCK_SUSPEND",
	"CAP_BPF", "CAP_CHECKPOINT_RESTORE", "CAP_CHOWN", "CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_KILL", "CAP_LEASE", "CAP_LINUX_IMMUTABLE", "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE",
	"CAP_MKNOD", "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_RAW", "CAP_PERFMON", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYSLOG", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_CHROOT",
	"CAP_SYS_MODULE", "CAP_SYS_NICE", "CAP_SYS_PACCT", "CAP_SYS_PTRACE",
	"CAP_SYS_RAWIO", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG",
	"CAP_WAKE_ALARM",
}
