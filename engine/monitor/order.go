package monitor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A container's stdout and stderr are two pipes. Once both hold data, nothing
// in them tells which write came first, so a reader that simply drains them
// puts every line of one stream before the other's. The kernel is asked to
// tell: each pipe is in packet mode (O_DIRECT: one write is one message of up
// to PIPE_BUF bytes) and signal-driven (O_ASYNC, F_SETSIG), so that every
// write queues one real-time signal, naming the pipe, to the thread that
// copies the output. Real-time signals queue in the order they are sent and
// are never merged: the copier reads them from a signalfd and takes, for each,
// one message from the pipe it names — the writes come out as they were made.
//
// Writes made while no copier listened (between the two shapes of the
// monitor) were not signalled: what the pipes hold when a copier starts is
// copied first, in the order the previous copier handed over and then stdout
// before stderr. A write whose signal is lost (the real-time queue was full
// and the kernel sent a plain SIGIO instead) leaves data that no signal
// announces; the copier drains it, stdout first, after a short grace for a
// signal still on its way.

const (
	outputSignal = 40   // a real-time signal that neither Go nor glibc uses
	packetSize   = 4096 // PIPE_BUF: a longer write comes as several messages of this size
	pipeSize     = 256 << 10
	orphanGrace  = 20 * time.Millisecond
)

// Stream indexes.
const (
	streamOut = 0
	streamErr = 1
)

// copier copies a container's stdout and stderr in the order they were written.
type copier struct {
	files   [2]*os.File
	raw     [2]int // the files' descriptors
	fds     [2]int // the descriptors still to read, -1 once at EOF
	order   []int  // streams with messages due before any signal (from a handoff)
	backlog [2]int // bytes in the pipes before they were signalled
	quit    int    // eventfd: stop copying

	start    chan [2]io.Writer
	stop     chan chan []int
	quitCh   chan struct{}
	quitOnce sync.Once
	done     chan struct{} // the copier's goroutine ended
	copied   chan struct{} // both streams reached their end
}

// newPacketPipe makes a pipe in packet mode.
func newPacketPipe() (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_DIRECT); err != nil {
		return nil, nil, err
	}
	_, _ = unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, pipeSize) // more room for short writes; the default does too
	return os.NewFile(uintptr(p[0]), "pipe-r"), os.NewFile(uintptr(p[1]), "pipe-w"), nil
}

// newCopier sets up the ordered copy of the read ends out and errf, with the
// streams of order (handed over by the previous shape) due first. It returns
// once every later write to the pipes is signalled; copying starts with run.
func newCopier(out, errf *os.File, order []int) *copier {
	c := &copier{files: [2]*os.File{out, errf}, order: order, quit: -1,
		start: make(chan [2]io.Writer), stop: make(chan chan []int), quitCh: make(chan struct{}),
		done: make(chan struct{}), copied: make(chan struct{})}
	for i, f := range c.files {
		c.raw[i] = int(f.Fd()) // Fd makes it blocking: set non-blocking after
		c.fds[i] = c.raw[i]
		_ = unix.SetNonblock(c.raw[i], true)
	}
	if fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err == nil {
		c.quit = fd
	}
	ready := make(chan struct{})
	go c.main(ready)
	<-ready
	return c
}

// main runs on a thread of its own, which the output signal is directed at
// and blocked on (so that it stays queued for the signalfd).
func (c *copier) main(ready chan<- struct{}) {
	defer close(c.done)
	runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
	for i, fd := range c.fds {
		c.backlog[i], _ = unix.IoctlGetInt(fd, unix.TIOCINQ) // FIONREAD
	}
	sfd, err := c.arm()
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor: output order:", err)
	}
	close(ready)
	select {
	case w := <-c.start:
		c.copy(sfd, w)
		c.disarm()
	case reply := <-c.stop:
		c.disarm()
		reply <- append(c.order, c.pending(sfd)...)
	case <-c.quitCh:
		c.disarm()
	}
	if sfd >= 0 {
		unix.Close(sfd)
	}
}

// disarm stops the pipes' signals. It must happen before this thread ends:
// the signals would go to whichever thread gets its ID next (after an exec,
// this thread's ID may be the new program's main thread, which a real-time
// signal kills before the Go runtime installs its handlers).
func (c *copier) disarm() {
	for _, fd := range c.raw {
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil && fl&unix.O_ASYNC != 0 {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_ASYNC)
		}
	}
}

// arm blocks the output signal on this thread and directs the pipes' signals
// at it. It returns the signalfd, or -1 if the kernel would not.
func (c *copier) arm() (int, error) {
	var set unix.Sigset_t
	for _, s := range []int{outputSignal, int(unix.SIGIO)} {
		set.Val[(s-1)/64] |= 1 << ((s - 1) % 64)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		return -1, err
	}
	sfd, err := unix.Signalfd(-1, &set, unix.SFD_CLOEXEC|unix.SFD_NONBLOCK)
	if err != nil {
		return -1, fmt.Errorf("signalfd: %w", err)
	}
	owner := struct{ typ, pid int32 }{0 /* F_OWNER_TID */, int32(unix.Gettid())}
	for _, fd := range c.fds {
		_, err := unix.FcntlInt(uintptr(fd), unix.F_SETSIG, outputSignal)
		if err == nil {
			if _, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), unix.F_SETOWN_EX, uintptr(unsafe.Pointer(&owner))); e != 0 {
				err = e
			}
		}
		if err == nil {
			var fl int
			if fl, err = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil {
				_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl|unix.O_ASYNC)
			}
		}
		if err != nil {
			unix.Close(sfd)
			return -1, fmt.Errorf("signal-driven pipe: %w", err)
		}
	}
	return sfd, nil
}

// run starts copying stdout to w[0] and stderr to w[1]; the channel closes
// when both reached their end.
func (c *copier) run(out, errw io.Writer) <-chan struct{} {
	select {
	case c.start <- [2]io.Writer{out, errw}:
	case <-c.done:
		close(c.copied)
	}
	return c.copied
}

// handoff stops a copier that has not started copying and returns the
// streams of the writes announced so far, in order, for the next shape.
func (c *copier) handoff() []int {
	reply := make(chan []int, 1)
	select {
	case c.stop <- reply:
		return <-reply
	case <-c.done:
		return nil
	}
}

// close stops the copier and waits for it; the files stay open.
func (c *copier) close() {
	c.quitOnce.Do(func() {
		close(c.quitCh)
		if c.quit >= 0 {
			_, _ = unix.Write(c.quit, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		}
	})
	<-c.done
	if c.quit >= 0 {
		unix.Close(c.quit)
		c.quit = -1
	}
}

// pending reads the signals queued so far and returns the streams they name.
func (c *copier) pending(sfd int) []int {
	order, _ := c.signals(sfd)
	return order
}

// signals reads the queued signals: the streams written, in order, and
// whether some signal was lost (SIGIO instead of the real-time one).
func (c *copier) signals(sfd int) ([]int, bool) {
	if sfd < 0 {
		return nil, false
	}
	var order []int
	lost := false
	var si [64]unix.SignalfdSiginfo
	b := unsafe.Slice((*byte)(unsafe.Pointer(&si[0])), int(unsafe.Sizeof(si)))
	for {
		n, err := unix.Read(sfd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if n <= 0 {
			return order, lost
		}
		for _, s := range si[:n/int(unsafe.Sizeof(si[0]))] {
			if s.Signo != outputSignal {
				lost = true
				continue
			}
			for i, fd := range c.fds {
				if fd >= 0 && int32(fd) == s.Fd {
					order = append(order, i)
				}
			}
		}
	}
}

// copy copies until both streams end or the copier is closed.
func (c *copier) copy(sfd int, w [2]io.Writer) {
	buf := make([]byte, 64<<10)
	for _, s := range c.order {
		c.backlog[s] -= c.message(s, buf, w)
	}
	c.order = nil
	for s := range c.backlog {
		for c.backlog[s] > 0 {
			n := c.message(s, buf, w)
			if n == 0 {
				break
			}
			c.backlog[s] -= n
		}
	}
	for c.fds[streamOut] >= 0 || c.fds[streamErr] >= 0 {
		pfds := []unix.PollFd{{Fd: int32(c.quit), Events: unix.POLLIN}, {Fd: int32(sfd), Events: unix.POLLIN}}
		for _, fd := range c.fds {
			pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}) // -1 is ignored
		}
		if _, err := unix.Poll(pfds, -1); err != nil && !errors.Is(err, unix.EINTR) {
			fmt.Fprintln(os.Stderr, "berth-monitor: output:", err)
			return
		}
		if pfds[0].Revents != 0 {
			return
		}
		order, lost := c.signals(sfd)
		for _, s := range order {
			c.message(s, buf, w)
		}
		unannounced := pfds[2].Revents != 0 || pfds[3].Revents != 0
		if lost || (len(order) == 0 && unannounced && !c.awaitSignal(sfd)) {
			c.drain(streamOut, buf, w)
			c.drain(streamErr, buf, w)
		}
	}
	close(c.copied)
}

// awaitSignal waits a little for a signal that may be on its way (a write's
// data is in the pipe a moment before its signal is queued).
func (c *copier) awaitSignal(sfd int) bool {
	if sfd < 0 {
		return false
	}
	pfds := []unix.PollFd{{Fd: int32(sfd), Events: unix.POLLIN}, {Fd: int32(c.quit), Events: unix.POLLIN}}
	n, err := unix.Poll(pfds, int(orphanGrace.Milliseconds()))
	return err == nil && n > 0
}

// message copies one write (one message, or the messages of a write longer
// than PIPE_BUF) of stream s and returns its size.
func (c *copier) message(s int, buf []byte, w [2]io.Writer) int {
	total := 0
	for c.fds[s] >= 0 {
		n, err := unix.Read(c.fds[s], buf)
		switch {
		case n > 0:
			w[s].Write(buf[:n])
			if total += n; n < packetSize {
				return total
			}
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			return total
		default: // end of stream, or a broken one
			c.fds[s] = -1
		}
	}
	return total
}

// drain copies whatever stream s holds.
func (c *copier) drain(s int, buf []byte, w [2]io.Writer) {
	for c.fds[s] >= 0 {
		n, err := unix.Read(c.fds[s], buf)
		switch {
		case n > 0:
			w[s].Write(buf[:n])
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			return
		default:
			c.fds[s] = -1
		}
	}
}
