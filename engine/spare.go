package engine

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/monitor"
)

// A monitor costs an exec and a Go start-up before it can create its
// container. Create and Start therefore begin one (a spare, see
// monitor/spare.go) before the rest of the creation, the rootfs mount and
// the spec, and the start hands it the config once that is written; an
// engine that starts many containers (berth serve, a build's RUN steps)
// keeps one spare ready between starts (KeepSpareMonitor, holdSpares).

// spareExitWait bounds how long Close waits for an unused spare to be reaped.
const spareExitWait = 2 * time.Second

// spareNice is the CPU priority of a spare started ahead of a start that
// has not come yet: the lowest, so that it takes no CPU from work that runs.
// It also runs under SCHED_IDLE where the kernel allows: only on a CPU that
// nothing else wants, so that its start-up (some 10 ms of CPU) does not
// slow down the container start it follows (berth serve starts the next
// spare at each handover, while that start still runs on a 2-CPU machine).
const spareNice = 19

// spareMonitor is a started monitor process that waits for its handover.
type spareMonitor struct {
	cmd        *exec.Cmd
	sock       *os.File      // the engine's end of the handover socket
	exited     chan struct{} // closed once the process has ended (and been reaped)
	background bool          // started at spareNice
}

// spares holds an engine's spare monitor.
type spares struct {
	mu     sync.Mutex
	idle   *spareMonitor // started, not handed over yet
	keep   bool          // start another after each handover (KeepSpareMonitor)
	holds  int           // builds running: they keep spares too
	closed bool          // the engine is closing: start none
}

// keeping reports whether another spare is started after each handover; the
// caller holds mu.
func (s *spares) keeping() bool { return s.keep || s.holds > 0 }

// monitorEnv is the environment of a monitor: one runs per running
// container, so it is tuned for memory: no heap profiling buckets, one P, a
// tight heap goal.
func monitorEnv(extra string) []string {
	return []string{extra, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"GODEBUG=memprofilerate=0", "GOMAXPROCS=1", "GOGC=50"}
}

// startSpare starts a spare monitor; a background one at the lowest CPU
// priority (see handOver).
func (e *Engine) startSpare(background bool) (*spareMonitor, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("monitor handover socket: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "handover"), os.NewFile(uintptr(fds[1]), "handover")
	defer theirs.Close()
	cmd := exec.Command(e.monitorPath, e.sparePlaceholder())
	cmd.Env = monitorEnv(monitor.SpareEnv + "=3")
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		ours.Close()
		return nil, fmt.Errorf("start monitor %s: %w", e.monitorPath, err)
	}
	s := &spareMonitor{cmd: cmd, sock: ours, exited: make(chan struct{}), background: background}
	if background {
		// Set before its Go runtime makes threads, which inherit it.
		idle := &unix.SchedAttr{Policy: unix.SCHED_IDLE, Nice: spareNice}
		if unix.SchedSetAttr(cmd.Process.Pid, idle, 0) != nil {
			_ = unix.Setpriority(unix.PRIO_PROCESS, cmd.Process.Pid, spareNice)
		}
	}
	go func() { _ = cmd.Wait(); close(s.exited) }() // reap it if it ends while this process lives
	return s, nil
}

// warmSpare makes sure a spare monitor is on its way for the next start;
// background says that start has not come yet.
func (e *Engine) warmSpare(background bool) {
	e.spares.mu.Lock()
	defer e.spares.mu.Unlock()
	if e.spares.idle != nil || e.spares.closed || background && !e.spares.keeping() {
		return // one is there, the engine closes, or spares are no longer kept
	}
	if s, err := e.startSpare(background); err == nil {
		e.spares.idle = s
	}
}

// takeSpare returns the idle spare, nil if there is none. An engine that
// keeps spares starts the next one once the start that took this one is
// through (replaceSpare), not now: the next spare's start-up (an exec, the
// Go runtime's, its warm-up, each page it touches a fault) would share the
// CPUs with that start's container creation.
func (e *Engine) takeSpare() *spareMonitor {
	e.spares.mu.Lock()
	s := e.spares.idle
	e.spares.idle = nil
	e.spares.mu.Unlock()
	return s
}

// replaceSpare starts the next spare of an engine that keeps spares, in the
// background, once a start has its monitor's word.
func (e *Engine) replaceSpare() { go e.warmSpare(true) }

// KeepSpareMonitor makes the engine keep a monitor process started ahead of
// the next container start, from its first start on (on), or not (off: an
// idle one is let go), for a process that starts containers one after
// another (berth serve, a build).
func (e *Engine) KeepSpareMonitor(on bool) {
	e.spares.mu.Lock()
	e.spares.keep = on
	keep := e.spares.keeping()
	e.spares.mu.Unlock()
	if !keep {
		e.dropSpare()
	}
}

// holdSpares keeps spares for a run of starts (a build's RUN steps) until
// the returned function is called.
func (e *Engine) holdSpares() func() {
	e.spares.mu.Lock()
	e.spares.holds++
	e.spares.mu.Unlock()
	return func() {
		e.spares.mu.Lock()
		e.spares.holds--
		keep := e.spares.keeping()
		e.spares.mu.Unlock()
		if !keep {
			e.dropSpare()
		}
	}
}

// closeSpares lets the idle spare go for good (Close).
func (e *Engine) closeSpares() {
	e.spares.mu.Lock()
	e.spares.closed = true
	e.spares.mu.Unlock()
	e.dropSpare()
}

// dropSpare lets the idle spare go and waits (briefly) for it to end, so
// that no process of this engine outlives it.
func (e *Engine) dropSpare() {
	e.spares.mu.Lock()
	s := e.spares.idle
	e.spares.idle = nil
	e.spares.mu.Unlock()
	if s == nil {
		return
	}
	s.sock.Close()
	// It holds nothing yet: killed, it ends at once, wherever its start-up is.
	_ = s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(spareExitWait):
	}
}

// sparePlaceholder is a spare's argument until its handover writes its
// config path over it: as long as any config path of this data root, and no
// container's (berth system check takes no spare for a stray monitor).
func (e *Engine) sparePlaceholder() string {
	return filepath.Join(e.containersDir(), strings.Repeat("-", 64), "monitor.json")
}

// handOver makes the spare the monitor of the config at cfgPath, with its
// output in logf and its word on the first start on ready.
func (s *spareMonitor) handOver(cfgPath string, logf, ready *os.File) error {
	defer s.sock.Close()
	if s.background {
		// The container's processes inherit the monitor's scheduling:
		// give every thread this thread's own first (the monitor evens
		// out any thread its start-up made meanwhile, see AwaitHandover).
		if err := reschedule(s.cmd.Process.Pid, ownSched()); err != nil {
			return err
		}
	}
	return monitor.SendHandover(s.sock, cfgPath, logf, ready)
}

// ownSched is the calling thread's scheduling policy and priority.
func ownSched() *unix.SchedAttr {
	if a, err := unix.SchedGetAttr(0, 0); err == nil {
		return a
	}
	nice := 0
	if p, err := unix.Getpriority(unix.PRIO_PROCESS, 0); err == nil {
		nice = 20 - p // the raw priority is 20 - nice
	}
	return &unix.SchedAttr{Policy: unix.SCHED_NORMAL, Nice: int32(nice)}
}

// reschedule gives every thread of process pid the scheduling attr.
func reschedule(pid int, attr *unix.SchedAttr) error {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return fmt.Errorf("monitor priority: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		a := *attr
		if err := unix.SchedSetAttr(tid, &a, 0); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("monitor priority: %w", err)
		}
	}
	return nil
}
