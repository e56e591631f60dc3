package monitor

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/health"
	"berth/engine/runner"
)

// ProbeArg is the first argument that makes the monitor binary run one
// health check instead of monitoring (see RunProbe).
const ProbeArg = "health"

// probeReport is what the helper tells the monitor on its status pipe.
type probeReport struct {
	ExitCode int    `json:"ExitCode"`
	TimedOut bool   `json:"TimedOut,omitempty"`
	Error    string `json:"Error,omitempty"` // the check could not be started
}

// Grace periods of the monitor over its helper: to start the exec and
// kill a late check (Docker allows 30 s for the start), and to end once the
// container is gone.
const (
	probeStartGrace = 30 * time.Second
	probeStopGrace  = 5 * time.Second
)

// probe runs one check through a helper process and returns its result;
// stopped is true when stop closed meanwhile (the result is then dropped,
// as Docker drops it). The helper kills a check that outlives the timeout.
func (m *monitor) probe(stop <-chan struct{}) (r health.Result, stopped bool) {
	r.Start = time.Now().UTC()
	rep, out, stopped, err := m.runProbe(stop)
	r.End = time.Now().UTC()
	switch {
	case stopped:
	case err != nil:
		r.ExitCode, r.Output = -1, err.Error()
	case rep.Error != "":
		r.ExitCode, r.Output = -1, rep.Error
	case rep.TimedOut:
		r.ExitCode = -1
		r.Output = fmt.Sprintf("Health check exceeded timeout (%v)", m.cfg.Health.Timeout)
		if s := out.String(); s != "" {
			r.Output += ": " + s
		}
	default:
		r.ExitCode, r.Output = rep.ExitCode, out.String()
	}
	return r, stopped
}

// runProbe starts the helper, collects the check's output and the helper's
// report, and waits for it to end.
func (m *monitor) runProbe(stop <-chan struct{}) (rep probeReport, out *health.Output, stopped bool, err error) {
	out = &health.Output{}
	outR, outW, err := os.Pipe()
	if err != nil {
		return rep, out, false, fmt.Errorf("health check: %w", err)
	}
	defer outR.Close()
	stR, stW, err := os.Pipe()
	if err != nil {
		outW.Close()
		return rep, out, false, fmt.Errorf("health check: %w", err)
	}
	defer stR.Close()
	cmd := exec.Command("/proc/self/exe", ProbeArg, m.cfg.path)
	cmd.Args[0] = os.Args[0]
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = outW, outW, []*os.File{stW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	outW.Close()
	stW.Close()
	if err != nil {
		return rep, out, false, fmt.Errorf("health check: %w", err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(out, outR)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	backstop := time.NewTimer(m.cfg.Health.Timeout + probeStartGrace)
	defer backstop.Stop()
	select {
	case err = <-exited:
	case <-stop:
		stopped = true
		endHelper(cmd, exited, probeStopGrace)
	case <-backstop.C:
		endHelper(cmd, exited, 0)
		return rep, out, false, fmt.Errorf("timed out running health check for container %s", m.cfg.ID)
	}
	select { // a process the check left in the container may hold the pipe
	case <-copied:
	case <-time.After(time.Second):
	}
	if stopped {
		return rep, out, true, nil
	}
	if derr := json.NewDecoder(stR).Decode(&rep); derr != nil {
		if err == nil {
			err = derr
		}
		return rep, out, false, fmt.Errorf("health check helper ended without a report: %w", err)
	}
	return rep, out, false, nil
}

// endHelper waits up to grace for the helper to end, then kills it.
func endHelper(cmd *exec.Cmd, exited <-chan error, grace time.Duration) {
	select {
	case <-exited:
		return
	case <-time.After(grace):
	}
	_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
	<-exited
}

// RunProbe is the helper's main: it runs the check of cfg once in the
// container, with the container's user, environment and working directory,
// its output on this process's stdout and stderr, kills the check's process
// group at the timeout (and whatever the check left running once it
// exits), and writes a report to status. It returns the helper's exit code.
func RunProbe(cfg *Config, status *os.File) int {
	rep := runCheck(cfg)
	if err := json.NewEncoder(status).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor:", err)
		return 1
	}
	return 0
}

// runCheck execs the check into the container and waits for it (see RunProbe).
func runCheck(cfg *Config) probeReport {
	if cfg.Health == nil || len(cfg.Health.Args) == 0 {
		return probeReport{Error: "no health check configured"}
	}
	s, err := loadSpec(cfg.SpecPath)
	if err != nil {
		return probeReport{Error: err.Error()}
	}
	p := *s.Process
	p.Args, p.Terminal = cfg.Health.Args, false
	c, err := runner.Load(cfg.StateRoot, cfg.ID)
	if err != nil {
		return probeReport{Error: err.Error()}
	}
	proc, err := runner.NewProcess(&p, false)
	if err != nil {
		return probeReport{Error: err.Error()}
	}
	proc.Stdout, proc.Stderr = os.Stdout, os.Stderr
	if err := c.Run(proc); err != nil {
		return probeReport{Error: "exec failed: " + err.Error()}
	}
	pid, err := proc.Pid()
	if err != nil {
		return probeReport{Error: err.Error()}
	}
	timedOut := !exitedBy(pid, time.Now().Add(cfg.Health.Timeout))
	// The check leads its own process group (runc's exec calls setsid): kill
	// it whole while the leader is not yet reaped, so its id cannot be reused.
	_ = unix.Kill(-pid, unix.SIGKILL)
	ps, err := proc.Wait()
	if ps == nil {
		return probeReport{Error: fmt.Sprintf("wait for health check: %v", err)}
	}
	rep := probeReport{ExitCode: ps.ExitCode(), TimedOut: timedOut}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		rep.ExitCode = 128 + int(ws.Signal())
	}
	return rep
}

// IsProbe reports whether this process was started as a health check helper.
func IsProbe() bool { return len(os.Args) == 3 && os.Args[1] == ProbeArg }

// exitedBy waits until the child pid exits (without reaping it) or the
// deadline passes, and reports whether it exited.
func exitedBy(pid int, deadline time.Time) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		var info unix.Siginfo // no pidfd: wait without a deadline
		return unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == nil
	}
	defer unix.Close(fd)
	for {
		ms := time.Until(deadline).Milliseconds()
		if ms < 0 {
			ms = 0
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(min(ms, 1<<30)))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return false
		case n > 0:
			return true
		case ms == 0:
			return false
		}
	}
}
