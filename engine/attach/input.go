package attach

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// errInputStopped ends a read of a client's stdin that was stopped.
var errInputStopped = errors.New("input stopped")

// Input copies a client's stdin in a goroutine that can be stopped: a read of
// an *os.File waits in poll(2) beside a wake-up pipe, a reader with read
// deadlines (a net.Conn) is given one in the past. After Stop returns, no
// goroutine reads the client's stdin any more, so a long-lived process (the
// TUI, a server) gets its input back. Other readers cannot be interrupted:
// their goroutine ends when their Read returns.
type Input struct {
	r        io.Reader
	fd, wake int      // r's descriptor when it is an *os.File; wakeR's
	wakeR    *os.File // poll wake-up pipe (for *os.File input)
	wakeW    *os.File
	done     chan struct{}
	waitable bool

	mu      sync.Mutex
	started bool
	stopped bool
}

type deadliner interface{ SetReadDeadline(time.Time) error }

// NewInput is an Input reading r.
func NewInput(r io.Reader) *Input {
	in := &Input{r: r, fd: -1, done: make(chan struct{})}
	switch f := r.(type) {
	case *os.File:
		if in.fd = rawFd(f); in.fd < 0 {
			break
		}
		if pr, pw, err := os.Pipe(); err == nil {
			in.wakeR, in.wakeW, in.wake, in.waitable = pr, pw, rawFd(pr), true
		}
	case deadliner:
		in.waitable = true
	}
	return in
}

// rawFd is f's descriptor, or -1; unlike Fd it leaves a non-blocking file so.
func rawFd(f *os.File) int {
	fd := -1
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(u uintptr) { fd = int(u) })
	}
	return fd
}

// Read reads the next input, or fails with errInputStopped once Stop is called.
func (in *Input) Read(p []byte) (int, error) {
	if in.wakeR == nil {
		return in.r.Read(p)
	}
	fds := []unix.PollFd{{Fd: int32(in.fd), Events: unix.POLLIN}, {Fd: int32(in.wake), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if fds[1].Revents != 0 {
			return 0, errInputStopped
		}
		if fds[0].Revents != 0 {
			return in.r.Read(p)
		}
	}
}

// Start copies input in a goroutine (see run), unless Stop came first:
// each chunk (detach keys held back) to send, eof at its end, detached closed
// when the detach keys are read.
func (in *Input) Start(d *Detector, send func([]byte) error, eof func(), detached chan<- struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.started || in.stopped {
		return
	}
	in.started = true
	go in.run(d, send, eof, detached)
}

func (in *Input) isStopped() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stopped
}

// run copies input through the detach-key detector to send until the input
// ends, the detach keys are read (detached is closed) or Stop is called.
func (in *Input) run(d *Detector, send func([]byte) error, eof func(), detached chan<- struct{}) {
	defer close(in.done)
	buf := make([]byte, 32*1024)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			out, det := d.Feed(buf[:n])
			if len(out) > 0 && send(out) != nil {
				return
			}
			if det {
				close(detached)
				return
			}
		}
		if err != nil {
			if err == errInputStopped || in.isStopped() {
				return
			}
			if rest := d.Flush(); len(rest) > 0 && send(rest) != nil {
				return
			}
			eof()
			return
		}
	}
}

// Stop ends the copy and, where the read can be interrupted, waits for its
// goroutine to return.
func (in *Input) Stop() {
	in.mu.Lock()
	if in.stopped {
		in.mu.Unlock()
		return
	}
	in.stopped = true
	started := in.started
	in.mu.Unlock()
	_, isFile := in.r.(*os.File)
	dl, isDeadliner := in.r.(deadliner)
	switch {
	case isFile && in.wakeW != nil:
		in.wakeW.Write([]byte{0})
	case !isFile && isDeadliner:
		dl.SetReadDeadline(time.Unix(1, 0))
	}
	if started && in.waitable {
		<-in.done
	}
	if in.wakeR != nil {
		in.wakeR.Close()
		in.wakeW.Close()
	}
	if !isFile && isDeadliner {
		dl.SetReadDeadline(time.Time{})
	}
}
