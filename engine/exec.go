package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/containerd/console"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/engine/attach"
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
	// Detach starts the process and returns at once with exit code 0, its
	// output discarded and its stdin empty (docker exec -d). This process
	// reaps it while it lives; once it exits the process runs on alone.
	Detach bool
	// DetachKeys, when not empty, is the byte sequence that, read from
	// stdin, detaches: Exec returns ErrDetached and the process runs on with
	// its output discarded (a process on a terminal gets SIGHUP when this
	// process exits and the terminal closes, as over a dropped ssh session).
	DetachKeys []byte
	// execID names the exec instance this runs (ExecStart), for its events;
	// started, when set, is called once the process runs.
	execID  string
	started func()
}

// Exec runs a process in a running container, in this process's care (it is
// the process's parent), and returns its exit code. The calling binary must hand
// over to runner.Init when re-executed as "init". Once Exec returns no
// goroutine reads streams.Stdin any more (see attach.Input).
func (e *Engine) Exec(ctx context.Context, ref string, o ExecOptions, streams IO) (int, error) {
	if len(o.Cmd) == 0 {
		return -1, errdefs.ErrInvalidArgument.WithMessage("exec: no command given")
	}
	if o.Detach && o.Tty {
		return -1, errdefs.ErrInvalidArgument.WithMessage("exec -d cannot keep a terminal: the process would lose it when berth exits, drop -t")
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
	if errdefs.IsInvalidArgument(err) {
		return execFailure(err) // a user the image lacks: the exec does not start (126), as in Docker
	}
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
	execID := o.execID
	if execID == "" {
		execID = newID()
	}
	e.emit("exec_start", c, map[string]string{"execID": execID, "exec": strings.Join(o.Cmd, " ")})
	if !o.Interactive {
		streams.Stdin = nil
	}
	run := lc.Run
	if o.started != nil {
		run = func(p *runner.Process) error {
			err := lc.Run(p)
			if err == nil {
				o.started()
			}
			return err
		}
	}
	switch {
	case o.Detach:
		if err := run(proc); err != nil {
			return execFailure(err)
		}
		go proc.Wait() // reap it while this process lives
		return 0, nil
	case o.Tty:
		return runTTY(ctx, run, proc, streams, o.DetachKeys)
	}
	return runPiped(ctx, run, proc, streams, o.DetachKeys)
}

// runPiped runs proc with pipes: its stdin (when streams has one) is fed by
// a stoppable copy that watches for the detach keys.
func runPiped(ctx context.Context, run func(*runner.Process) error, proc *runner.Process, s IO, keys []byte) (int, error) {
	if s.Stdin == nil { // nothing can detach: the process writes to the streams itself
		proc.Stdout, proc.Stderr = s.Stdout, s.Stderr
		if err := run(proc); err != nil {
			return execFailure(err)
		}
		return waitExit(proc.Wait())
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return -1, fmt.Errorf("exec stdin: %w", err)
	}
	defer pr.Close()
	out, errOut := &gate{w: s.Stdout}, &gate{w: s.Stderr}
	proc.Stdin, proc.Stdout, proc.Stderr = pr, out, errOut
	if err := run(proc); err != nil {
		pw.Close()
		return execFailure(err)
	}
	in, detached := attach.NewInput(s.Stdin), make(chan struct{})
	send := func(b []byte) error { _, err := pw.Write(b); return err }
	in.Start(attach.NewDetector(keys), send, func() { pw.Close() }, detached)
	cut := func() { out.cut(); errOut.cut() }
	return waitOrDetach(ctx, proc, in, detached, cut, func() { pw.Close() })
}

// waitOrDetach waits for proc to exit, for the detach keys or for the
// context to end. On detach (or the end of ctx) the
// output is cut and the process is reaped in the background; either way the
// input copy is stopped and release runs once the process is gone.
func waitOrDetach(ctx context.Context, proc *runner.Process, in *attach.Input, detached <-chan struct{}, cut, release func()) (int, error) {
	type result struct {
		code int
		err  error
	}
	exited := make(chan result, 1)
	go func() {
		code, err := waitExit(proc.Wait())
		exited <- result{code, err}
	}()
	select {
	case r := <-exited:
		if in != nil {
			in.Stop()
		}
		release()
		return r.code, r.err
	case <-detached:
	case <-ctx.Done():
	}
	cut()
	if in != nil {
		in.Stop()
	}
	go func() { <-exited; release() }()
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	return -1, ErrDetached
}

// gate is an io.Writer that can be cut off: after cut it discards.
type gate struct {
	mu  sync.Mutex
	w   io.Writer
	off bool
}

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.off || g.w == nil {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gate) cut() {
	g.mu.Lock()
	g.off = true
	g.mu.Unlock()
}

// ErrExecNotStarted is returned when an exec's command could not be started:
// dockerd 20.10 gives such an exec exit code 126 whatever the cause (a
// missing command as well as one not executable), unlike docker run's 127.
var ErrExecNotStarted = errors.New("exec failed")

// execStartError is an exec that could not start: it is ErrExecNotStarted
// and unwraps to its cause's class (ErrCommandNotFound or
// ErrCommandNotExecutable).
type execStartError struct{ *commandError }

// Is makes the error ErrExecNotStarted.
func (e execStartError) Is(target error) bool { return target == ErrExecNotStarted }

// execFailure is an exec that could not start: exit code 126, as dockerd.
func execFailure(err error) (int, error) {
	msg := err.Error()
	class := ErrCommandNotExecutable // permission denied, a directory, a bad binary
	if strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") {
		class = ErrCommandNotFound
	}
	return 126, execStartError{&commandError{"exec failed: " + msg, class}}
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
	p.Env = dropUnset(mergeEnv(p.Env, o.Env))
	if o.WorkingDir != "" {
		p.Cwd = o.WorkingDir
	}
	if o.User != "" {
		u, err := resolveUserGroups(e.rootfs(c.ID), o.User, c.HostConfig.GroupAdd)
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
func runTTY(ctx context.Context, run func(*runner.Process) error, proc *runner.Process, s IO, keys []byte) (int, error) {
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
		_ = proc.Signal(unix.SIGKILL)
		return -1, fmt.Errorf("console: %w", err)
	}
	stopResize := make(chan struct{})
	if s.Resize != nil {
		go resizeConsole(con, s.Resize, stopResize)
	}
	out := &gate{w: s.Stdout}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(out, con)
	}()
	var in *attach.Input
	var detached chan struct{}
	if s.Stdin != nil {
		in, detached = attach.NewInput(s.Stdin), make(chan struct{})
		send := func(b []byte) error { _, err := con.Write(b); return err }
		in.Start(attach.NewDetector(keys), send, func() {}, detached)
	}
	code, err := waitOrDetach(ctx, proc, in, detached, out.cut, func() {
		<-copied // the output is read until the last writer closes the pty
		con.Close()
	})
	close(stopResize)
	return code, err
}

// resizeConsole applies terminal sizes to con until sizes closes or stop.
func resizeConsole(con console.Console, sizes <-chan WinSize, stop <-chan struct{}) {
	for {
		select {
		case ws, ok := <-sizes:
			if !ok {
				return
			}
			_ = con.Resize(console.WinSize{Width: ws.Width, Height: ws.Height})
		case <-stop:
			return
		}
	}
}

func waitExit(ps *os.ProcessState, err error) (int, error) {
	if ps == nil {
		return -1, fmt.Errorf("wait for exec: %w", err)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ps.ExitCode(), nil
}
