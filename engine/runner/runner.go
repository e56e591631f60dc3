// Package runner is the one place where berth calls runc's libcontainer: it turns
// an OCI spec into a libcontainer config, creates, loads, signals and destroys
// containers, and starts processes in them. Both the per-container monitor and the
// berth binary (for exec) link it, and both must call Init when started as "init".
package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/containerd/errdefs"
	_ "github.com/opencontainers/cgroups/devices" // device rules for the cgroup managers
	"github.com/opencontainers/cgroups/manager"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/configs/validate"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // the cgo constructor of the container init
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// IsInit reports whether this process was started by libcontainer as a
// container's init (or exec'd process) and must hand over to Init.
func IsInit() bool { return len(os.Args) > 1 && os.Args[1] == "init" }

// Init hands the process over to libcontainer's container init. It never returns.
func Init() {
	libcontainer.Init()
	os.Exit(1)
}

// QuietLogs sends libcontainer's logrus output to w (io.Discard in a TUI), so
// that it never draws over the caller's terminal.
func QuietLogs(w io.Writer) { logrus.SetOutput(w); logrus.SetLevel(logrus.WarnLevel) }

// Create makes a libcontainer container id under stateRoot from the OCI spec s.
// It does not start anything.
func Create(stateRoot, id string, s *specs.Spec) (*libcontainer.Container, error) {
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName:   id,
		Spec:         s,
		NoNewKeyring: false,
	})
	if err != nil {
		return nil, fmt.Errorf("container config %s: %w", id, err)
	}
	c, err := libcontainer.Create(stateRoot, id, cfg)
	if errors.Is(err, libcontainer.ErrExist) {
		// A stale state dir from a crashed start: remove it and try once more.
		if old, lerr := libcontainer.Load(stateRoot, id); lerr == nil {
			_ = old.Destroy()
		} else {
			_ = os.RemoveAll(stateRoot + "/" + id)
		}
		c, err = libcontainer.Create(stateRoot, id, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("create container %s: %w", id, err)
	}
	return c, nil
}

// Load opens the running container id; a missing one is errdefs.ErrNotFound.
func Load(stateRoot, id string) (*libcontainer.Container, error) {
	c, err := libcontainer.Load(stateRoot, id)
	if errors.Is(err, libcontainer.ErrNotExist) {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("container %s is not running", id))
	}
	if err != nil {
		return nil, fmt.Errorf("load container %s: %w", id, err)
	}
	return c, nil
}

// Destroy removes what libcontainer keeps of id (state dir, cgroup), if anything.
func Destroy(stateRoot, id string) error {
	c, err := libcontainer.Load(stateRoot, id)
	if errors.Is(err, libcontainer.ErrNotExist) {
		return nil
	}
	if err != nil {
		_ = os.RemoveAll(stateRoot + "/" + id)
		return nil
	}
	if err := c.Destroy(); err != nil {
		return fmt.Errorf("destroy container %s: %w", id, err)
	}
	return nil
}

// NewProcess converts an OCI process into a libcontainer process; init marks the
// container's first process (as opposed to an exec).
func NewProcess(p *specs.Process, init bool) (*libcontainer.Process, error) {
	nnp := p.NoNewPrivileges
	lp := &libcontainer.Process{
		Args:            p.Args,
		Env:             p.Env,
		UID:             int(p.User.UID),
		GID:             int(p.User.GID),
		Cwd:             p.Cwd,
		NoNewPrivileges: &nnp,
		Init:            init,
		// The process's libcontainer logs at this process's level, as runc
		// passes it: without it, nsexec writes its debug lines (some 25
		// a start, each read and parsed here, then dropped).
		LogLevel: strconv.Itoa(int(logrus.GetLevel())),
	}
	for _, g := range p.User.AdditionalGids {
		lp.AdditionalGroups = append(lp.AdditionalGroups, int(g))
	}
	if c := p.Capabilities; c != nil {
		lp.Capabilities = &configs.Capabilities{
			Bounding: c.Bounding, Effective: c.Effective, Permitted: c.Permitted,
			Inheritable: c.Inheritable, Ambient: c.Ambient,
		}
	}
	for _, r := range p.Rlimits {
		t, ok := rlimitTypes[r.Type]
		if !ok {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unknown rlimit %q", r.Type))
		}
		lp.Rlimits = append(lp.Rlimits, configs.Rlimit{Type: t, Soft: r.Soft, Hard: r.Hard})
	}
	if p.ConsoleSize != nil {
		lp.ConsoleWidth, lp.ConsoleHeight = uint16(p.ConsoleSize.Width), uint16(p.ConsoleSize.Height)
	}
	return lp, nil
}

// rlimitTypes maps OCI rlimit names to the kernel's resource numbers.
var rlimitTypes = map[string]int{
	"RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3,
	"RLIMIT_CORE": 4, "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7,
	"RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9, "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11,
	"RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13, "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
}

// Process is a process started in a container.
type Process = libcontainer.Process

// Warm runs, on throw-away values, what a container's creation goes
// through before its init starts — the spec's JSON (with a seccomp profile),
// its conversion to a libcontainer config (which sets libseccomp up), that
// config's validation and JSON as libcontainer saves it (with the rest of
// what it encodes on a start: see warmStartTypes), the cgroup
// manager's look at its hierarchies — so that a process that creates a
// container later (a spare monitor waiting for its config) finds their code
// paged in and their caches filled. It creates nothing: no cgroup, no file.
func Warm() {
	s := specconv.Example()
	s.Root.Path = "/"
	s.Linux.CgroupsPath = "/berth-warm-" + strconv.Itoa(os.Getpid())
	s.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "write"}, Action: specs.ActAllow},
			{Names: []string{"personality"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, Op: specs.OpEqualTo}}},
		},
	}
	b, err := json.Marshal(s)
	if err != nil {
		return
	}
	var back specs.Spec
	if json.Unmarshal(b, &back) != nil {
		return
	}
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{CgroupName: "warm", Spec: &back})
	if err != nil {
		return
	}
	_, _ = json.Marshal(cfg)
	warmStartTypes()
	_ = validate.Validate(cfg)
	if cm, err := manager.New(cfg.Cgroups); err == nil {
		_ = cm.Exists()
		_, _ = cm.GetFreezerState()
	}
}

// warmStartTypes encodes, once, the types besides the config that a start
// encodes: the process's part of the init's config (its capabilities,
// rlimits, the spec state) and the state libcontainer saves.
func warmStartTypes() {
	_, _ = json.Marshal(&configs.Capabilities{Bounding: []string{""}})
	_, _ = json.Marshal([]configs.Rlimit{{}})
	_, _ = json.Marshal(&specs.State{Annotations: map[string]string{"": ""}})
	_, _ = json.Marshal(&libcontainer.State{CgroupPaths: map[string]string{"": ""}})
}
