package monitor

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The restart policy: whether, and when, a container that exited runs again.

// lockForRestart takes the container's lock for a start under the restart
// policy: the engine holds it while it stops, kills or removes the container,
// so that the restart either happens before (and the engine sees the
// container run) or not at all. It gives up when the user stops the container.
func (m *monitor) lockForRestart() (func(), bool) {
	f, err := os.OpenFile(m.cfg.LockPath, os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor: restart unguarded:", err)
		return func() {}, !m.stopped()
	}
	for !m.stopped() {
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			if m.stopped() { // stopped while we waited for the lock
				break
			}
			return func() { f.Close() }, true
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.Close()
	return nil, false
}

// stopped reports whether the user stopped the container.
func (m *monitor) stopped() bool {
	_, err := os.Stat(m.cfg.StopPath)
	return err == nil
}

// failStart records a first start that failed: the container keeps the state
// it had (created, or exited from an earlier run), with docker's exit code for
// the failure, and no monitor.
func (m *monitor) failStart(err error) {
	code, _, _ := CommandFailure(err.Error(), m.command)
	st := State{Status: StatusCreated}
	if prev, rerr := ReadState(m.cfg.StatePath); rerr == nil && !prev.StartedAt.IsZero() {
		st = State{Status: StatusExited, StartedAt: prev.StartedAt, FinishedAt: prev.FinishedAt, RestartCount: prev.RestartCount}
	}
	if errors.Is(err, errStoppedBeforeStart) {
		code, err = 0, nil
	}
	st.ExitCode = code
	if err != nil {
		st.Error = err.Error()
	}
	m.state = st
	m.save()
}

// restartNext applies the restart policy to an exit and, if it says so, waits
// the backoff. It reports whether to start again.
func (m *monitor) restartNext(code, restarts int) bool {
	if !m.wantsRestart(code, restarts) {
		m.ended()
		return false
	}
	m.state.Status = StatusRestarting
	m.state.RestartCount = restarts + 1
	m.save()
	if !m.backoff(restarts, m.state.FinishedAt.Sub(m.state.StartedAt)) {
		m.state.Status = StatusExited
		m.save()
		return false
	}
	return true
}

// ended records that the container will not run again under this monitor.
func (m *monitor) ended() {
	if m.state.Status != StatusExited {
		m.state.Status = StatusExited
		m.save()
	}
}

// wantsRestart applies the restart policy, and the user's stop, to an exit.
func (m *monitor) wantsRestart(code, restarts int) bool {
	return m.cfg.restartPolicy().ShouldRestart(code, restarts, m.stopped())
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
		if m.stopped() {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
