package engine

import (
	"context"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/monitor"
)

// waitMonitor blocks until the monitor that wrote st exits, ctx ends or d
// passes, without polling: it waits on a pidfd (the monitor is not our child).
// It reports whether the monitor is gone.
func waitMonitor(ctx context.Context, st *monitor.State, d time.Duration) bool {
	if !st.Alive() {
		return true
	}
	fd, err := unix.PidfdOpen(st.MonitorPid, 0)
	if err != nil {
		return !st.Alive()
	}
	defer unix.Close(fd)
	if !st.Alive() { // the pid may have been reused between the check and the open
		return true
	}
	deadline := time.Now().Add(d)
	for {
		wait := min(time.Until(deadline), 100*time.Millisecond)
		if wait <= 0 {
			return false
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(wait.Milliseconds())+1)
		if err == nil && n > 0 {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
	}
}
