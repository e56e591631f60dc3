package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/console"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/engine/runner"
	"berth/engine/spec"
)

// ExecOptions is what docker exec takes.
type ExecOptions struct {
	Cmd         []string
	Env         []string
	User        string
	WorkingDir  string
	Tty         bool
	Interactive bool
	Privileged  bool
}

// Exec runs a process in a running container, in this process's care (it is
// the process's parent), and returns its exit code. The calling binary must hand
// over to runner.Init when re-executed as "init".
func (e *Engine) Exec(ctx context.Context, ref string, o ExecOptions, streams IO) (int, error) {
	if len(o.Cmd) == 0 {
		return -1, errdefs.ErrInvalidArgument.WithMessage("exec: no command given")
	}
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return -1, err
	}
	if !c.State.Running || c.State.Restarting {
		return -1, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not running", c.Name[1:]))
	}
	if c.State.Paused {
		return -1, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is paused, unpause the container before exec", c.Name[1:]))
	}
	p, err := e.execProcess(c, o)
	if err != nil {
		return -1, err
	}
	lc, err := runner.Load(e.stateRoot(), c.ID)
	if err != nil {
		return -1, err
	}
	proc, err := runner.NewProcess(p, false)
	if err != nil {
		return -1, err
	}
	e.emit("exec_start", c, map[string]string{"execID": newID(), "exec": strings.Join(o.Cmd, " ")})
	if o.Tty {
		return runTTY(lc.Run, proc, streams, o.Interactive)
	}
	if o.Interactive && streams.Stdin != nil {
		proc.Stdin = streams.Stdin
	}
	proc.Stdout, proc.Stderr = streams.Stdout, streams.Stderr
	if err := lc.Run(proc); err != nil {
		return execFailure(err)
	}
	return waitExit(proc.Wait())
}

// execFailure maps an exec that could not start to docker's exit codes.
func execFailure(err error) (int, error) {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory"):
		return 127, fmt.Errorf("exec failed: %w: %w", err, ErrCommandNotFound)
	case strings.Contains(msg, "permission denied"):
		return 126, fmt.Errorf("exec failed: %w: %w", err, ErrCommandNotExecutable)
	}
	return 126, fmt.Errorf("exec failed: %w", err)
}

// execProcess builds the exec'd process from the container's own spec
// (capabilities, rlimits, no_new_privs) with the exec options laid over it.
func (e *Engine) execProcess(c *Container, o ExecOptions) (*specs.Process, error) {
	b, err := os.ReadFile(filepath.Join(e.containerDir(c.ID), "spec.json"))
	if err != nil {
		return nil, fmt.Errorf("exec %s: %w", c.Name[1:], err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("exec %s: %w", c.Name[1:], err)
	}
	p := *s.Process
	p.Args, p.Terminal = o.Cmd, o.Tty
	p.Env = mergeEnv(p.Env, o.Env)
	if o.WorkingDir != "" {
		p.Cwd = o.WorkingDir
	}
	if o.User != "" {
		u, err := resolveUser(e.rootfs(c.ID), o.User)
		if err != nil {
			return nil, err
		}
		p.User = specs.User{UID: uint32(u.Uid), GID: uint32(u.Gid), AdditionalGids: toU32(u.Sgids)}
	}
	if o.Privileged {
		caps, _ := spec.Capabilities(true, nil, nil, e.host.bounding)
		p.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
		p.NoNewPrivileges = false
	}
	return &p, nil
}

// runTTY starts proc with a pseudo-terminal and copies it to streams.
func runTTY(run func(*runner.Process) error, proc *runner.Process, s IO, interactive bool) (int, error) {
	parent, child, err := runner.ConsolePair()
	if err != nil {
		return -1, err
	}
	defer parent.Close()
	proc.ConsoleSocket = child
	if err := run(proc); err != nil {
		child.Close()
		return execFailure(err)
	}
	child.Close()
	f, err := runner.RecvConsole(parent)
	if err != nil {
		_ = proc.Signal(unix.SIGKILL)
		return -1, err
	}
	con, err := console.ConsoleFromFile(f)
	if err != nil {
		f.Close()
		return -1, fmt.Errorf("console: %w", err)
	}
	defer con.Close()
	if s.Resize != nil {
		go func() {
			for ws := range s.Resize {
				_ = con.Resize(console.WinSize{Width: ws.Width, Height: ws.Height})
			}
		}()
	}
	if interactive && s.Stdin != nil {
		go io.Copy(con, s.Stdin)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		if s.Stdout != nil {
			io.Copy(s.Stdout, con)
		}
	}()
	code, err := waitExit(proc.Wait())
	<-copied
	return code, err
}

func waitExit(ps *os.ProcessState, err error) (int, error) {
	if ps == nil {
		return -1, fmt.Errorf("wait for exec: %w", err)
	}
	if ws, ok := ps.Sys().(unix.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ps.ExitCode(), nil
}
