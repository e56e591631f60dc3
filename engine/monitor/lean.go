package monitor

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"

	"berth/engine/logfile"
)

// runLean is the lean shape: the container runs; copy its output, serve
// attach, wait for it, record the exit, then go back to the full shape to
// destroy it and apply the restart policy.
func (m *monitor) runLean(h *handoff) int {
	p := m.leanIO(h) // first: the pipes are not read until the copier runs
	st, err := ReadState(m.cfg.StatePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor:", err)
		return 1
	}
	m.state = *st
	if m.srv, err = adopt(h.Listener, h.Clients); err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor:", err)
		return 1
	}
	if m.log, err = logfile.NewWriter(m.cfg.LogPath, logfile.WriterOptions{MaxSize: m.cfg.Log.MaxSize, MaxFiles: m.cfg.Log.MaxFiles}); err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor: log:", err)
	}
	for i, fd := range h.Net {
		m.netFiles = append(m.netFiles, fileOf(fd, "net-"+strconv.Itoa(i)))
	}
	debug.FreeOSMemory()
	code := m.wait(h.Pid, p)
	if m.log != nil {
		m.log.Close()
		m.log = nil
	}
	if !m.wantsRestart(code, m.state.RestartCount) {
		// No restart: end here, without going back to the full shape.
		m.ended()
		m.announceEnd()
		if err := destroyStopped(m.cfg.StateRoot, m.cfg.ID); err != nil {
			fmt.Fprintln(os.Stderr, "berth-monitor: destroy:", err)
		}
		m.teardown()
		return 0
	}
	ln, _, err := m.srv.handoff()
	if err == nil {
		// This program started with the output signals blocked (see
		// takeOverCopier); the full shape, which starts containers, must not.
		runtime.LockOSThread()
		_ = unblockOutputSignals()
		err = reexec(&handoff{Mode: modeExited, Listener: ln})
	}
	// The full shape could not be re-entered: end here, as cleanly as we can.
	fmt.Fprintln(os.Stderr, "berth-monitor: back to the full shape:", err)
	m.ended()
	m.teardown()
	return 1
}

// leanIO takes over the process's stdio from the full shape, and the copy of
// its output where the full shape left it.
func (m *monitor) leanIO(h *handoff) *procIO {
	p := &procIO{tty: h.Pty > 0, outR: fileOf(h.Out, "stdout"), errR: fileOf(h.Err, "stderr"),
		inW: fileOf(h.In, "stdin"), pty: fileOf(h.Pty, "pty")}
	var queued []chunk
	if qf := fileOf(h.Queued, "queued-output"); qf != nil {
		var err error
		if queued, err = readQueueFile(qf); err != nil {
			fmt.Fprintln(os.Stderr, "berth-monitor:", err)
		}
	}
	switch {
	case p.outR == nil || p.errR == nil:
	case h.Pending && m.onMain:
		p.cp = takeOverCopier(p.outR, p.errR, queued, decodeOrder(h.Order))
	default:
		p.cp = newCopier(p.outR, p.errR, queued, decodeOrder(h.Order))
	}
	return p
}
