// Package xray gathers what a running container is made of on the host, for
// the TUI's X-ray tab: its namespaces next to the host's, its cgroup limit
// files, its overlay mount and the image layers under it, its volume, bind
// and tmpfs mounts, its network mode, its capabilities and seccomp mode. It
// reads /proc, the cgroup filesystem and the container's directories; it
// prints nothing and holds no state.
package xray

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"

	"berth/engine/spec"
	"berth/images"
	"berth/netmgr"
	"berth/volumes"
)

// Target is what an X-ray reads of a container; the engine fills it from the
// container's record (engine.Engine.XRay).
type Target struct {
	ID, Name string
	// Pid is the container's first process on the host; Running says it runs.
	Pid     int
	Running bool
	// CgroupPath is the container's cgroup, relative to each hierarchy.
	CgroupPath string
	// NetworkMode is "host", "none", "container:ID" or a network's name;
	// SandboxKey the network namespace's path.
	NetworkMode, SandboxKey string
	// Overlay is the overlay's directories: LowerDir, UpperDir, WorkDir, MergedDir.
	Overlay map[string]string
	// Mounts are the volumes, binds and tmpfs mounts.
	Mounts []volumes.MountPoint
	// Networks are the container's addresses on its networks.
	Networks []NetSetting
	// Ports are the published ports as `berth port` prints them, sorted.
	Ports []string
}

// NetSetting is a container's address on one network.
type NetSetting struct {
	Network, NetworkID string
	IP, Gateway, MAC   string
	Prefix             int
}

// Namespace is one namespace of the container's first process.
type Namespace struct {
	// Type is the namespace type as named in /proc/PID/ns ("net", "pid", ...).
	Type string
	// Inode and HostInode identify the container's and the host's (PID 1's)
	// namespace; Own says they differ.
	Inode, HostInode uint64
	Own              bool
}

// CgroupFile is one cgroup interface file and its content.
type CgroupFile struct {
	// Name is the file's name with its controller on v1 ("memory/memory.limit_in_bytes").
	Name string
	// Value is the file's first line.
	Value string
}

// Layer is one overlay lowerdir: an image layer and the step that made it.
type Layer struct {
	// Dir is the lowerdir as mounted.
	Dir string
	// Step is the Dockerfile step (history created-by) that made the layer.
	Step string
	// Size is the layer's stored size in bytes.
	Size int64
}

// Report is the X-ray of one container.
type Report struct {
	// ID and Name identify the container; Pid is its first process on the host.
	ID, Name string
	Pid      int
	// Namespaces are sorted by type.
	Namespaces []Namespace
	// CgroupPath is the container's cgroup; CgroupV2 says the host uses the
	// unified hierarchy; Cgroup lists the limit and usage files that exist.
	CgroupPath string
	CgroupV2   bool
	Cgroup     []CgroupFile
	// Lower are the overlay lowerdirs, topmost first.
	Lower                        []Layer
	UpperDir, WorkDir, MergedDir string
	// Writes is the size of the files in UpperDir (the container's writes)
	// and WriteFiles how many; WritesCapped says the walk stopped early.
	Writes       int64
	WriteFiles   int
	WritesCapped bool
	// Mounts are the container's volumes, binds and tmpfs mounts, as the
	// engine recorded them at create.
	Mounts []volumes.MountPoint
	// HostNetwork says the container shares the host's network namespace.
	HostNetwork bool
	// Network is its bridge networking: veths, routes and rules (nil when
	// not read).
	Network *Network
	// CapEff and CapBnd are the effective and bounding capability sets.
	CapEff, CapBnd []string
	// Seccomp is the seccomp mode: 0 off, 1 strict, 2 filter.
	Seccomp int
	// NoNewPrivs is the no_new_privs bit: setuid binaries gain nothing.
	NoNewPrivs bool
}

// Options locate the host's files; zero values are the real ones.
type Options struct {
	// Proc is the proc filesystem ("/proc").
	Proc string
	// CgroupRoot is the cgroup filesystem ("/sys/fs/cgroup").
	CgroupRoot string
	// MaxFiles bounds the walk of UpperDir (default 100,000 entries).
	MaxFiles int
	// Endpoints lists the container's network endpoints (the network
	// manager's Endpoints); nil leaves the host-side veths unknown.
	Endpoints func(ctx context.Context, containerID string) ([]netmgr.Endpoint, error)
	// Table is berth's nftables table (the manager's TableName); empty
	// reads no rules.
	Table string
}

func (o *Options) defaults() {
	if o.Proc == "" {
		o.Proc = "/proc"
	}
	if o.CgroupRoot == "" {
		o.CgroupRoot = "/sys/fs/cgroup"
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = 100000
	}
}

// Inspect x-rays the running container c; hist is its image's history (top
// step first, as images.Store.History returns it), used to name the layers.
// A container that is not running is an errdefs.ErrFailedPrecondition.
func Inspect(ctx context.Context, c Target, hist []images.HistoryEntry, o Options) (Report, error) {
	o.defaults()
	r := Report{ID: c.ID, Name: strings.TrimPrefix(c.Name, "/"), Pid: c.Pid,
		CgroupPath: c.CgroupPath, HostNetwork: c.NetworkMode == "host",
		Mounts: append([]volumes.MountPoint(nil), c.Mounts...)}
	if !c.Running || c.Pid <= 0 {
		return r, errdefs.ErrFailedPrecondition.WithMessage(fmt.Sprintf("x-ray %s: not running", r.Name))
	}
	var err error
	if r.Namespaces, err = namespaces(o.Proc, c.Pid); err != nil {
		return r, fmt.Errorf("x-ray %s: %w", r.Name, err)
	}
	r.CgroupV2, r.Cgroup = cgroupFiles(o.CgroupRoot, r.CgroupPath)
	st, err := os.ReadFile(filepath.Join(o.Proc, strconv.Itoa(c.Pid), "status"))
	if err != nil {
		return r, fmt.Errorf("x-ray %s: %w", r.Name, err)
	}
	s := ParseStatus(string(st))
	r.CapEff, r.CapBnd = spec.CapsFromMask(s.CapEff), spec.CapsFromMask(s.CapBnd)
	r.Seccomp, r.NoNewPrivs = s.Seccomp, s.NoNewPrivs
	d := c.Overlay
	r.UpperDir, r.WorkDir, r.MergedDir = d["UpperDir"], d["WorkDir"], d["MergedDir"]
	r.Lower = Layers(d["LowerDir"], hist)
	r.Network = gatherNetwork(ctx, c, o)
	if r.UpperDir != "" {
		r.Writes, r.WriteFiles, r.WritesCapped, err = du(ctx, r.UpperDir, o.MaxFiles)
		if err != nil {
			return r, fmt.Errorf("x-ray %s: size of writes: %w", r.Name, err)
		}
	}
	return r, nil
}

// namespaces reads /proc/PID/ns and /proc/1/ns.
func namespaces(proc string, pid int) ([]Namespace, error) {
	dir := filepath.Join(proc, strconv.Itoa(pid), "ns")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read namespaces: %w", err)
	}
	var out []Namespace
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // a namespace type the process cannot show
		}
		_, ino, err := ParseNSLink(link)
		if err != nil {
			continue
		}
		n := Namespace{Type: e.Name(), Inode: ino}
		n.HostInode = hostInode(proc, e.Name())
		n.Own = n.HostInode != 0 && n.HostInode != n.Inode
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out, nil
}

// hostInode is the inode of the host's namespace of type typ: PID 1's, or,
// when PID 1 cannot be read (a sandbox), this process's, which runs on the host.
func hostInode(proc, typ string) uint64 {
	for _, p := range []string{"1", "self"} {
		if l, err := os.Readlink(filepath.Join(proc, p, "ns", typ)); err == nil {
			if _, ino, err := ParseNSLink(l); err == nil {
				return ino
			}
		}
	}
	return 0
}

// ParseNSLink parses a namespace link such as "net:[4026531840]".
func ParseNSLink(s string) (typ string, inode uint64, err error) {
	t, rest, ok := strings.Cut(s, ":[")
	if !ok || t == "" || !strings.HasSuffix(rest, "]") {
		return "", 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("namespace link %q: want type:[inode]", s))
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(rest, "]"), 10, 64)
	if err != nil {
		return "", 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("namespace link %q: %v", s, err))
	}
	return t, n, nil
}

// Status is what the X-ray reads from /proc/PID/status.
type Status struct {
	CapEff, CapBnd uint64
	Seccomp        int
	NoNewPrivs     bool
}

// ParseStatus reads the capability, seccomp and no_new_privs lines of a
// /proc/PID/status file; lines it does not know or cannot parse are skipped.
func ParseStatus(s string) Status {
	var st Status
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "CapEff":
			st.CapEff, _ = strconv.ParseUint(v, 16, 64)
		case "CapBnd":
			st.CapBnd, _ = strconv.ParseUint(v, 16, 64)
		case "Seccomp":
			st.Seccomp, _ = strconv.Atoi(v)
		case "NoNewPrivs":
			st.NoNewPrivs = v == "1"
		}
	}
	return st
}

// Layers pairs the overlay lowerdirs (colon-separated, topmost first) with
// the image history's steps that made a layer (top step first).
func Layers(lowerDir string, hist []images.HistoryEntry) []Layer {
	if lowerDir == "" {
		return nil
	}
	var steps []images.HistoryEntry
	for _, h := range hist {
		if !h.EmptyLayer {
			steps = append(steps, h)
		}
	}
	dirs := strings.Split(lowerDir, ":")
	out := make([]Layer, len(dirs))
	for i, d := range dirs {
		out[i].Dir = d
		if len(steps) == len(dirs) {
			out[i].Step, out[i].Size = steps[i].CreatedBy, steps[i].Size
		}
	}
	return out
}

// errCapped ends the walk of UpperDir at the file limit.
var errCapped = errors.New("file limit reached")

// du sums the sizes of the regular files under dir, visiting at most max entries.
func du(ctx context.Context, dir string, max int) (size int64, files int, capped bool, err error) {
	seen := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		if seen++; seen > max {
			return errCapped
		}
		if seen%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				size += info.Size()
				files++
			}
		}
		return nil
	})
	if errors.Is(err, errCapped) {
		return size, files, true, nil
	}
	return size, files, false, err
}
