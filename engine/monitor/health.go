package monitor

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"berth/engine/health"
)

// Health checks. The monitor lives as long as its container and already
// waits for it, so it is the one that runs the container's HEALTHCHECK: a
// goroutine and a timer, nothing more, while the container runs. Each check
// is an exec into the container made by a short-lived helper process (this
// binary, started as "berth-monitor health CONFIG", see probe.go), so that
// the monitor itself never loads libcontainer's exec machinery and stays
// about as small with health checks as without. Measured with
// bench/health.sh (10 containers, a check a second): +0.13 MB Private_Dirty
// per monitor this way; exec'ing from the monitor itself saved about a third
// of the CPU per check but cost +1 MB per monitor and left runc's
// intermediate children for the monitor to reap.
// The status is published in the file health.FileName, which every berth
// process reads without a lock.

// resetHealth marks the container's health "starting" as it (re)starts,
// keeping the earlier results, as Docker's initHealthMonitor does.
func (m *monitor) resetHealth() {
	if m.cfg.Health == nil || m.cfg.HealthPath == "" {
		return
	}
	h, err := health.Read(m.cfg.HealthPath)
	if err != nil || h == nil {
		h = &health.State{}
	}
	h.Reset()
	m.writeHealth(h)
}

// watchHealth runs the container's health checks in the background, the
// container having started at started. The returned function stops them and
// returns once no check runs any more.
func (m *monitor) watchHealth(started time.Time) func() {
	if m.cfg.Health == nil || m.cfg.HealthPath == "" {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		m.checkHealth(started, stop)
	}()
	return func() {
		close(stop)
		<-done
	}
}

// checkHealth is the loop of watchHealth. When it ends the container is
// "unhealthy", as Docker leaves a container whose checks stopped.
func (m *monitor) checkHealth(started time.Time, stop <-chan struct{}) {
	c := m.cfg.Health
	h, err := health.Read(m.cfg.HealthPath)
	if err != nil || h == nil {
		h = &health.State{}
		h.Reset()
	}
	defer func() {
		h.Status = health.Unhealthy
		m.writeHealth(h)
	}()
	timer := time.NewTimer(health.Next(c, h.Status, started, time.Now()))
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return
		case <-timer.C:
		}
		if !m.paused() { // a frozen container cannot answer: Docker checks none either
			r, stopped := m.probe(stop)
			if stopped {
				return
			}
			// A check the pause caught is dropped: the status stays what
			// it was when the container was paused.
			if !m.paused() {
				m.record(h, r, started)
			}
		}
		timer.Reset(health.Next(c, h.Status, started, time.Now()))
	}
}

// record adds a check's result to h and publishes it.
func (m *monitor) record(h *health.State, r health.Result, started time.Time) {
	if h.Record(r, m.cfg.Health, started) {
		m.event("health_status: "+h.Status, nil)
	}
	m.writeHealth(h)
	// The check's garbage (pipes, buffers, the helper's bookkeeping) would
	// pile up to Go's 4 MB minimum heap before a collection: collect it now
	// and return it, so that a monitor with checks stays as small as one
	// without.
	debug.FreeOSMemory()
}

func (m *monitor) writeHealth(h *health.State) {
	if err := health.Write(m.cfg.HealthPath, h); err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor:", err)
	}
}

// paused reports whether the user paused the container.
func (m *monitor) paused() bool {
	_, err := os.Stat(m.cfg.PausePath)
	return err == nil
}
