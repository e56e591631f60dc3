package monitor

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/attach"
	"berth/engine/logfile"
	"berth/engine/runner"
)

// procIO is the stdio of one container process. The monitor makes the pipes
// itself (rather than letting exec.Cmd copy), so that their descriptors can
// cross the exec into the lean shape.
type procIO struct {
	tty                bool
	outR, outW         *os.File
	errR, errW         *os.File
	inR, inW           *os.File
	consParent, consCh *os.File // console socket pair (tty)
	pty                *os.File // pty master (tty)
	cp                 *copier  // ordered copy of outR and errR (see order.go)
}

func newProcIO(tty, stdin bool) (*procIO, error) {
	p := &procIO{tty: tty}
	var err error
	if tty {
		if p.consParent, p.consCh, err = runner.ConsolePair(); err != nil {
			return nil, err
		}
		return p, nil
	}
	if p.outR, p.outW, err = newPacketPipe(); err != nil {
		return nil, fmt.Errorf("stdout pipe: %w", err)
	}
	if p.errR, p.errW, err = newPacketPipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("stderr pipe: %w", err)
	}
	if stdin {
		if p.inR, p.inW, err = os.Pipe(); err != nil {
			p.closeAll()
			return nil, fmt.Errorf("stdin pipe: %w", err)
		}
	}
	return p, nil
}

// attach gives the process its ends.
func (p *procIO) attach(proc *runner.Process) {
	if p.tty {
		proc.ConsoleSocket = p.consCh
		return
	}
	proc.Stdout, proc.Stderr = p.outW, p.errW
	if p.inR != nil {
		proc.Stdin = p.inR
	}
}

// afterStart closes the child's ends here and, for a tty, receives the pty
// master; otherwise it sets up the ordered copy of the output, before the
// process runs a single instruction of its own.
func (p *procIO) afterStart() error {
	for _, f := range []*os.File{p.outW, p.errW, p.inR, p.consCh} {
		if f != nil {
			f.Close()
		}
	}
	p.outW, p.errW, p.inR, p.consCh = nil, nil, nil, nil
	if !p.tty {
		p.cp = newCopier(p.outR, p.errR, nil, nil)
		return nil
	}
	f, err := runner.RecvConsole(p.consParent)
	p.consParent.Close()
	p.consParent = nil
	if err != nil {
		return err
	}
	p.pty = f
	return nil
}

func (p *procIO) closeAll() {
	if p.cp != nil {
		p.cp.close()
		p.cp = nil
	}
	for _, f := range []*os.File{p.outR, p.outW, p.errR, p.errW, p.inR, p.inW, p.consParent, p.consCh, p.pty} {
		if f != nil {
			f.Close()
		}
	}
}

// wait copies the process's output to the log and to clients, feeds it
// input, waits for it to exit, records the exit and returns its code.
func (m *monitor) wait(pid int, p *procIO) int {
	if m.log == nil {
		lw, err := logfile.NewWriter(m.cfg.LogPath, logfile.WriterOptions{MaxSize: m.cfg.Log.MaxSize, MaxFiles: m.cfg.Log.MaxFiles})
		if err != nil {
			fmt.Fprintln(os.Stderr, "berth-monitor: log:", err)
		}
		m.log = lw
	}
	m.wireInput(p)
	m.srv.serveAll()
	done := m.copyOutput(p)
	stopNet := m.serveNet(m.netFiles)
	m.netFiles = nil
	defer stopNet()
	stopHealth := m.watchHealth(m.state.StartedAt)
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	stopHealth() // the checks end with the container, before its exit is told
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	select { // let the output drain; a grandchild holding the pipe must not hold us
	case <-done:
	case <-time.After(2 * time.Second):
	}
	m.srv.setProcess(nil, nil)
	p.closeAll()
	oom := code == 137 && oomKilled(m.cfg.ID)
	m.finish(code, oom, nil)
	if oom {
		m.event("oom", nil)
	}
	m.event("die", map[string]string{"exitCode": strconv.Itoa(code)})
	m.networkEvents("disconnect")
	m.srv.exit(code)
	return code
}

// wireInput points attached clients' stdin and resizes at the process.
func (m *monitor) wireInput(p *procIO) {
	if !p.tty {
		if p.inW != nil {
			m.srv.setProcess(p.inW, nil)
		}
		return
	}
	var in io.WriteCloser
	if m.cfg.OpenStdin {
		in = nopCloser{p.pty}
	}
	fd := int(p.pty.Fd())
	m.srv.setProcess(in, func(w, h uint16) {
		_ = unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Col: w, Row: h})
	})
}

// copyOutput starts copying output; the channel closes when all of it is read.
func (m *monitor) copyOutput(p *procIO) <-chan struct{} {
	done := make(chan struct{})
	stream := func(name string, kind attach.Kind) io.Writer {
		var lw io.Writer
		if m.log != nil {
			lw = m.log.Stream(name)
		}
		return &streamWriter{log: lw, srv: m.srv, kind: kind}
	}
	if p.tty {
		go func() {
			defer close(done)
			io.Copy(stream("stdout", attach.Stdout), p.pty)
		}()
		return done
	}
	if p.cp == nil {
		p.cp = newCopier(p.outR, p.errR, nil, nil)
	}
	return p.cp.run(stream("stdout", attach.Stdout), stream("stderr", attach.Stderr))
}

// oomKilled reads the OOM-kill counter of the container's memory cgroup (v1
// memory.oom_control, v2 memory.events); the cgroup is new per start.
func oomKilled(id string) bool {
	for _, f := range []string{
		"/sys/fs/cgroup/memory/berth/" + id + "/memory.oom_control",
		"/sys/fs/cgroup/berth/" + id + "/memory.events",
	} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
				return strings.TrimSpace(v) != "0"
			}
		}
	}
	return false
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
