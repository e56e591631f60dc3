package monitor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/engine/events"
	"berth/engine/logfile"
	"berth/engine/runner"
)

// attachWait is how long a monitor holds a process for a client that asked to
// attach before it starts it anyway.
const attachWait = 30 * time.Second

// monitor is one running monitor, in either shape.
type monitor struct {
	cfg      *Config
	state    State
	srv      *server
	log      *logfile.Writer
	ev       *events.Log
	netFiles []*os.File // sockets of the port proxies and DNS (see netsvc.go)
	command  string     // the container's command, as the spec gives it
	ready    *os.File   // where the first start is reported (see reply), nil once it was
	onMain   bool       // this goroutine is locked to the main thread
}

// ReadyListening is the line a monitor writes on its ready pipe, before the
// one that tells how the start went, once it takes attaching clients.
const ReadyListening = "listening"

// Run is the monitor's main: the full shape, or the lean one when this process
// is a re-execution (see handoff.go). ready, when not nil, receives
// ReadyListening once the attach socket listens, then "ok\n" once the first
// start succeeded or the error text if it failed, and is then closed. Run
// returns the monitor's own exit code.
func Run(cfg *Config, ready *os.File) int {
	h, err := handoffFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor:", err)
		return 1
	}
	// The main goroutine stays on the main thread, which every exec between
	// the two shapes is made from: output signals queued to it survive the
	// exec (see order.go).
	onMain := unix.Gettid() == os.Getpid()
	if onMain {
		runtime.LockOSThread()
	}
	m := &monitor{cfg: cfg, ev: events.Open(cfg.EventsPath), onMain: onMain}
	switch {
	case h == nil:
		return m.runFull(ready)
	case h.Mode == modeLean:
		return m.runLean(h)
	default:
		return m.afterExit(h)
	}
}

func (m *monitor) runFull(ready *os.File) int {
	m.state = State{Status: StatusCreated, MonitorPid: os.Getpid(), MonitorStart: ProcStart(os.Getpid())}
	var err error
	if m.srv, err = listen(m.cfg.SocketPath); err != nil {
		m.ready = ready
		m.reply(fmt.Errorf("attach socket: %w", err))
		return 1
	}
	if ready != nil {
		fmt.Fprintln(ready, ReadyListening)
	}
	return m.loop(ready, 0)
}

// afterExit is the full shape again after the lean one saw the container exit:
// destroy it, then restart it or end.
func (m *monitor) afterExit(h *handoff) int {
	st, err := ReadState(m.cfg.StatePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor:", err)
		return 1
	}
	m.state = *st
	if m.srv, err = adopt(h.Listener, nil); err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor:", err)
		return 1
	}
	_ = runner.Destroy(m.cfg.StateRoot, m.cfg.ID)
	restarts := m.state.RestartCount
	if !m.restartNext(m.state.ExitCode, restarts) {
		m.teardown()
		return 0
	}
	return m.loop(nil, restarts+1)
}

// loop starts the container (restarts so far given) until the policy says stop.
func (m *monitor) loop(ready *os.File, restarts int) int {
	defer m.teardown()
	m.ready = ready
	for ; ; restarts++ {
		m.state.RestartCount = restarts
		var unlock func()
		if restarts > 0 {
			var ok bool
			if unlock, ok = m.lockForRestart(); !ok {
				m.state.Status = StatusExited
				m.save()
				return 0
			}
		}
		code, err := m.runOnce(restarts == 0 && ready != nil && m.cfg.WaitAttach, unlock)
		if err != nil && restarts == 0 {
			m.failStart(err)
			m.reply(err)
			return 1
		}
		if err != nil {
			m.finish(ExitStartFailed, false, err)
			return 0
		}
		if !m.restartNext(code, restarts) {
			return 0
		}
	}
}

// reply tells the engine that started this monitor how the first start went:
// "ok" once the container runs (or waits for its attaching client), or why it
// failed — after the state says so. Only the first reply is sent.
func (m *monitor) reply(err error) {
	if m.ready == nil {
		return
	}
	if err != nil {
		fmt.Fprintf(m.ready, "%v\n", err)
	} else {
		fmt.Fprintln(m.ready, "ok")
	}
	m.ready.Close()
	m.ready = nil
}

func (m *monitor) teardown() {
	if m.log != nil {
		m.log.Close()
	}
	if m.srv != nil {
		m.srv.exit(m.state.ExitCode)
		m.srv.close()
	}
	os.Remove(m.cfg.SocketPath)
	os.Remove(m.cfg.PausePath)
	// A waiter that took the removal of an --rm container over unmounts
	// its root filesystem off its critical path (the unmount syncs the
	// filesystem the upper dir is on): it is left mounted for it.
	owned := m.claimRemoval()
	if m.cfg.ShmPath != "" {
		_ = unix.Unmount(m.cfg.ShmPath, unix.MNT_DETACH)
	}
	if m.cfg.Rootfs != "" && !owned {
		_ = unix.Unmount(m.cfg.Rootfs, unix.MNT_DETACH)
	}
	if !owned {
		m.runRemoveCmd()
	}
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

// finish records an exit. While this monitor lives after an exit, the state
// says "restarting" if the restart policy will start the container again and
// "exited" only if it will not: an engine that sees a container exited and
// its monitor alive knows that the monitor is merely finishing.
func (m *monitor) finish(code int, oom bool, err error) {
	m.state.Status = StatusExited
	if err == nil && m.wantsRestart(code, m.state.RestartCount) {
		m.state.Status = StatusRestarting
	}
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

// runOnce creates and starts the container, then hands it to the lean shape;
// only when that exec fails does it wait here. It returns the exit code.
// unlock, if not nil, releases the container's lock once the container runs
// (or failed to).
func (m *monitor) runOnce(waitAttach bool, unlock func()) (int, error) {
	release := func() {
		if unlock != nil {
			unlock()
			unlock = nil
		}
	}
	defer release()
	s, err := loadSpec(m.cfg.SpecPath)
	if err != nil {
		return -1, err
	}
	m.command = s.Process.Args[0]
	c, err := runner.Create(m.cfg.StateRoot, m.cfg.ID, s)
	if err != nil {
		return -1, err
	}
	pio, err := newProcIO(m.cfg.TTY, m.cfg.OpenStdin)
	if err != nil {
		c.Destroy()
		return -1, err
	}
	pid, err := m.start(c, s, pio, waitAttach)
	release()
	if err != nil {
		pio.closeAll()
		c.Destroy()
		return -1, err
	}
	// A short-lived command (berth run --rm … true) ends before the exec into
	// the lean shape would pay for itself: give it a moment first.
	if !exitsWithin(pid, exitWindow) {
		if err := m.toLean(pid, pio); err != nil {
			fmt.Fprintln(os.Stderr, "berth-monitor: staying in the full shape:", err)
		}
	}
	code := m.wait(pid, pio)
	m.announceEnd()
	c.Destroy()
	return code, nil
}

// start starts the process, waits for an attaching client if asked, and lets
// the process run; the state says running before the starter hears "ok".
func (m *monitor) start(c *libcontainer.Container, s *specs.Spec, pio *procIO, waitAttach bool) (int, error) {
	proc, err := runner.NewProcess(s.Process, true)
	if err != nil {
		return 0, err
	}
	pio.attach(proc)
	if err := c.Start(proc); err != nil {
		return 0, err
	}
	if err := pio.afterStart(); err != nil {
		_ = proc.Signal(unix.SIGKILL)
		_, _ = proc.Wait()
		return 0, err
	}
	if waitAttach {
		m.state.Status = StatusCreated
		m.save()
		m.reply(nil)
		if !m.awaitClient() {
			_ = proc.Signal(unix.SIGKILL)
			_, _ = proc.Wait()
			return 0, errStoppedBeforeStart
		}
	}
	m.netFiles = m.openNet()
	if err := c.Exec(); err != nil {
		_ = proc.Signal(unix.SIGKILL)
		_, _ = proc.Wait()
		return 0, fmt.Errorf("exec: %w", err)
	}
	pid, _ := proc.Pid()
	awaitExec(pid)
	if len(s.Process.Args) > 0 && s.Process.Args[0] == InitPath {
		awaitChild(pid)
	}
	m.resetHealth()
	m.state.Status, m.state.Pid = StatusRunning, pid
	m.state.StartedAt, m.state.Error, m.state.OOMKilled = time.Now().UTC(), "", false
	m.save()
	m.networkEvents("connect")
	m.event("start", nil)
	m.reply(nil)
	return pid, nil
}

// errStoppedBeforeStart is a start given up because the user stopped (or
// removed) the container while it waited for its attaching client.
var errStoppedBeforeStart = errors.New("stopped before it started")

// awaitClient waits for the attaching client (at most attachWait); it
// reports false if the user stopped the container meanwhile.
func (m *monitor) awaitClient() bool {
	deadline := time.Now().Add(attachWait)
	for time.Now().Before(deadline) {
		if m.srv.waitReady(50*time.Millisecond) == nil {
			return true
		}
		if m.stopped() {
			return false
		}
	}
	return true
}

// awaitExec waits (briefly) until the container's init has executed the
// user's command, so that a started container shows its own process.
func awaitExec(pid int) {
	self := []byte(os.Args[0] + "\x00init\x00")
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil || !bytes.Equal(b, self) {
			return
		}
		time.Sleep(250 * time.Microsecond)
	}
}

// InitPath is where `run --init` puts berth-init in a container.
const InitPath = "/sbin/docker-init"

// awaitChild waits (briefly) until pid, berth-init, has started the
// command as its child: it forwards signals from then on (it asks for them
// just before), so that a stop or kill made as soon as the start returns is
// not lost, nor taken by the Go runtime's default for a signal nobody asked
// for (exit 2). It waits 100 ms at most, and not at all where the kernel
// has no /proc/PID/task/PID/children.
func awaitChild(pid int) {
	children := "/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children"
	for i := 0; i < 400; i++ {
		b, err := os.ReadFile(children)
		if err != nil || len(bytes.TrimSpace(b)) > 0 {
			return
		}
		time.Sleep(250 * time.Microsecond)
	}
}

// exitWindow is how long the full shape waits for a container to exit before
// it hands it to the lean shape.
const exitWindow = 15 * time.Millisecond

// exitsWithin reports whether the child pid has exited (without reaping it)
// within d.
func exitsWithin(pid int, d time.Duration) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int(d.Milliseconds()))
	return err == nil && n > 0
}

// toLean re-executes this process in the lean shape; it returns only on failure.
func (m *monitor) toLean(pid int, pio *procIO) error {
	ln, clients, err := m.srv.handoff()
	if err != nil {
		return err
	}
	h := &handoff{Mode: modeLean, Pid: pid, Out: fdOf(pio.outR), Err: fdOf(pio.errR), In: fdOf(pio.inW),
		Pty: fdOf(pio.pty), Listener: ln, Clients: clients}
	for _, f := range m.netFiles {
		h.Net = append(h.Net, fdOf(f))
	}
	var queued []chunk
	var order []int
	if pio.cp != nil {
		queued, order, h.Pending = pio.cp.handoff(m.onMain)
		pio.cp.close()
		pio.cp = nil
		h.Order = encodeOrder(order)
	}
	var qf *os.File
	if len(queued) > 0 {
		if qf, err = queueFile(queued); err != nil {
			return m.stayFull(pio, queued, order, h.Pending, err)
		}
		h.Queued = fdOf(qf)
	}
	err = reexec(h)
	if qf != nil {
		qf.Close()
	}
	return m.stayFull(pio, queued, order, h.Pending, err)
}

// stayFull resumes copying in the full shape after a failed change of shape.
func (m *monitor) stayFull(pio *procIO, queued []chunk, order []int, pending bool, err error) error {
	if pending {
		// The signals queued here since are lost; the new copier drains what they announced.
		_ = unblockOutputSignals()
	}
	if !pio.tty {
		pio.cp = newCopier(pio.outR, pio.errR, queued, order)
	}
	return err
}
