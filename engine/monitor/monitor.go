package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/containerd/console"
	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/engine/attach"
	"berth/engine/events"
	"berth/engine/logfile"
	"berth/engine/runner"
)

// attachWait is how long a monitor holds a process for a client that asked to
// attach before it starts it anyway.
const attachWait = 30 * time.Second

// monitor is one running monitor.
type monitor struct {
	cfg   *Config
	state State
	srv   *server
	log   *logfile.Writer
	ev    *events.Log
}

// Run is the monitor's main loop. ready, when not nil, receives "ok\n" once the
// first start succeeded or the error text if it failed, and is then closed. Run
// returns the process exit code of the monitor itself.
func Run(cfg *Config, ready *os.File) int {
	m := &monitor{cfg: cfg, ev: events.Open(cfg.EventsPath)}
	m.state = State{Status: StatusCreated, MonitorPid: os.Getpid(), MonitorStart: ProcStart(os.Getpid())}
	if err := m.setup(); err != nil {
		reply(ready, err)
		return 1
	}
	defer m.teardown()
	for restarts := 0; ; restarts++ {
		code, err := m.runOnce(ready, restarts == 0)
		ready = nil
		if err != nil {
			m.finish(128, false, err)
			if restarts == 0 {
				return 1
			}
		}
		_, stopErr := os.Stat(cfg.StopPath)
		if !cfg.Restart.ShouldRestart(code, restarts, stopErr == nil) || err != nil {
			return 0
		}
		m.state.Status = StatusRestarting
		m.state.RestartCount = restarts + 1
		m.save()
		if !m.backoff(restarts, time.Since(m.state.StartedAt)) {
			m.state.Status = StatusExited
			m.save()
			return 0
		}
	}
}

func reply(ready *os.File, err error) {
	if ready == nil {
		return
	}
	if err != nil {
		fmt.Fprintf(ready, "%v\n", err)
	} else {
		fmt.Fprintln(ready, "ok")
	}
	ready.Close()
}

func (m *monitor) setup() error {
	var err error
	if m.srv, err = listen(m.cfg.SocketPath); err != nil {
		return fmt.Errorf("attach socket: %w", err)
	}
	m.log, err = logfile.NewWriter(m.cfg.LogPath, logfile.WriterOptions{MaxSize: m.cfg.Log.MaxSize, MaxFiles: m.cfg.Log.MaxFiles})
	if err != nil {
		m.srv.close()
		return fmt.Errorf("log file: %w", err)
	}
	return nil
}

func (m *monitor) teardown() {
	m.log.Close()
	m.srv.close()
	os.Remove(m.cfg.SocketPath)
	os.Remove(m.cfg.PausePath)
	if m.cfg.Rootfs != "" {
		_ = unix.Unmount(m.cfg.Rootfs, unix.MNT_DETACH)
	}
}

// backoff sleeps before a restart: 100 ms doubling to one minute, reset after a
// run of ten seconds or more. It returns false if the user stopped the container
// meanwhile.
func (m *monitor) backoff(restarts int, ran time.Duration) bool {
	d := 100 * time.Millisecond
	if ran < 10*time.Second {
		for i := 0; i < restarts && d < time.Minute; i++ {
			d *= 2
		}
	}
	deadline := time.Now().Add(min(d, time.Minute))
	for time.Now().Before(deadline) {
		if _, err := os.Stat(m.cfg.StopPath); err == nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

func (m *monitor) save() {
	if err := WriteJSON(m.cfg.StatePath, &m.state); err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor:", err)
	}
}

func (m *monitor) event(action string, attrs map[string]string) {
	a := map[string]string{"name": m.cfg.Name, "image": m.cfg.Image}
	for k, v := range m.cfg.Labels {
		a[k] = v
	}
	for k, v := range attrs {
		a[k] = v
	}
	if err := m.ev.Append(events.Event{Type: "container", Action: action, ID: m.cfg.ID, Attributes: a}); err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor: event:", err)
	}
}

func (m *monitor) finish(code int, oom bool, err error) {
	m.state.Status = StatusExited
	m.state.Pid = 0
	m.state.ExitCode = code
	m.state.OOMKilled = oom
	m.state.FinishedAt = time.Now().UTC()
	if err != nil {
		m.state.Error = err.Error()
	}
	m.save()
}

func loadSpec(path string) (*specs.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decode spec %s: %w", path, err)
	}
	return &s, nil
}

// runOnce creates, starts and waits for the container once, returning its exit code.
func (m *monitor) runOnce(ready *os.File, first bool) (int, error) {
	s, err := loadSpec(m.cfg.SpecPath)
	if err != nil {
		reply(ready, err)
		return -1, err
	}
	c, err := runner.Create(m.cfg.StateRoot, m.cfg.ID, s)
	if err != nil {
		reply(ready, err)
		return -1, err
	}
	defer c.Destroy()
	proc, pio, err := m.newProcess(s)
	if err != nil {
		reply(ready, err)
		return -1, err
	}
	if err := c.Start(proc); err != nil {
		pio.close()
		reply(ready, err)
		return -1, fmt.Errorf("start: %w", err)
	}
	if err := pio.afterStart(proc); err != nil {
		_ = proc.Signal(unix.SIGKILL)
		_, _ = proc.Wait()
		reply(ready, err)
		return -1, err
	}
	oom, _ := c.NotifyOOM()
	if err := m.release(c, proc, ready, first && m.cfg.WaitAttach); err != nil {
		pio.wait()
		return -1, err
	}
	code := exitCode(proc.Wait())
	pio.wait()
	oomKilled := false
	if oom != nil && code == 137 {
		select {
		case _, ok := <-oom:
			oomKilled = ok
		case <-time.After(100 * time.Millisecond):
		}
	}
	os.Remove(m.cfg.PausePath)
	m.finish(code, oomKilled, nil)
	if oomKilled {
		m.event("oom", nil)
	}
	m.event("die", map[string]string{"exitCode": strconv.Itoa(code)})
	m.srv.exit(code)
	return code, nil
}

// release lets the created process run. A client that asked to attach is
// told "created" first and waited for; otherwise the process runs before the
// starter hears "ok", so that a started container is seen running.
func (m *monitor) release(c *libcontainer.Container, proc *libcontainer.Process, ready *os.File, waitAttach bool) error {
	if waitAttach {
		m.state.Status = StatusCreated
		m.save()
		reply(ready, nil)
		_ = m.srv.waitReady(attachWait)
	}
	if err := c.Exec(); err != nil {
		_ = proc.Signal(unix.SIGKILL)
		_, _ = proc.Wait()
		reply(ready, err)
		return fmt.Errorf("exec: %w", err)
	}
	pid, _ := proc.Pid()
	m.state.Status, m.state.Pid = StatusRunning, pid
	m.state.StartedAt, m.state.Error = time.Now().UTC(), ""
	m.save()
	m.event("start", nil)
	reply(ready, nil)
	// The seccomp rules were installed by the container's init; this process
	// never needs its copy again (the config's Seccomp is shared by pointer).
	if cfg := c.Config(); cfg.Seccomp != nil {
		cfg.Seccomp.Syscalls = nil
	}
	// Starting parsed the spec (the seccomp profile is large) and set up
	// libcontainer: give that garbage back now, since this process then idles
	// for the container's whole life and there is one per container.
	debug.FreeOSMemory()
	return nil
}

func exitCode(ps *os.ProcessState, err error) int {
	if ps == nil {
		var ee interface{ ExitCode() int }
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		return 255
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// procIO is the stdio plumbing of one container process.
type procIO struct {
	m       *monitor
	tty     bool
	parent  *os.File // console socket, tty only
	stdinW  io.WriteCloser
	master  console.Console
	copied  chan struct{}
	closers []io.Closer
}

func (m *monitor) newProcess(s *specs.Spec) (*libcontainer.Process, *procIO, error) {
	proc, err := runner.NewProcess(s.Process, true)
	if err != nil {
		return nil, nil, err
	}
	pio := &procIO{m: m, tty: m.cfg.TTY, copied: make(chan struct{})}
	if m.cfg.TTY {
		parent, child, err := runner.ConsolePair()
		if err != nil {
			return nil, nil, err
		}
		proc.ConsoleSocket = child
		pio.parent = parent
		pio.closers = append(pio.closers, child)
		return proc, pio, nil
	}
	if m.cfg.OpenStdin {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, nil, fmt.Errorf("stdin pipe: %w", err)
		}
		proc.Stdin, pio.stdinW = r, w
		pio.closers = append(pio.closers, r)
	}
	proc.Stdout = &streamWriter{log: m.log.Stream("stdout"), srv: m.srv, kind: attach.Stdout}
	proc.Stderr = &streamWriter{log: m.log.Stream("stderr"), srv: m.srv, kind: attach.Stderr}
	close(pio.copied) // exec.Cmd's Wait waits for its own copy goroutines
	return proc, pio, nil
}

// afterStart wires the started process's stdio to clients.
func (p *procIO) afterStart(proc *libcontainer.Process) error {
	for _, c := range p.closers {
		c.Close()
	}
	if !p.tty {
		p.m.srv.setProcess(p.stdinW, nil)
		return nil
	}
	f, err := runner.RecvConsole(p.parent)
	p.parent.Close()
	if err != nil {
		return err
	}
	con, err := console.ConsoleFromFile(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("console: %w", err)
	}
	p.master = con
	var in io.WriteCloser
	if p.m.cfg.OpenStdin {
		in = nopCloser{con}
	}
	p.m.srv.setProcess(in, func(w, h uint16) { _ = con.Resize(console.WinSize{Width: w, Height: h}) })
	go func() {
		defer close(p.copied)
		io.Copy(&streamWriter{log: p.m.log.Stream("stdout"), srv: p.m.srv, kind: attach.Stdout}, con)
	}()
	return nil
}

// wait waits for the output copy to drain (bounded: a grandchild holding the
// pty must not hold the monitor).
func (p *procIO) wait() {
	select {
	case <-p.copied:
	case <-time.After(2 * time.Second):
	}
	p.m.srv.setProcess(nil, nil)
	if p.master != nil {
		p.master.Close()
	}
	if p.stdinW != nil {
		p.stdinW.Close()
	}
}

func (p *procIO) close() {
	for _, c := range p.closers {
		c.Close()
	}
	if p.parent != nil {
		p.parent.Close()
	}
	if p.stdinW != nil {
		p.stdinW.Close()
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
