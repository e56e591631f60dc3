package monitor

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

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
// It reads as soon as the pipes exist, into a queue in memory, so that a pipe
// never fills while nobody copies (a writer blocked on a full pipe is
// signalled twice for one write); the queue is written out once the monitor
// is ready for it (see run), or handed to the next shape.
//
// The monitor changes shape (an exec, see handoff.go) while the container
// runs. Before the exec, the pipes' signals are directed at the main thread,
// which makes the exec with them blocked: the signals queued meanwhile stay
// queued across it, and the next shape's copier reads them first (after the
// streams the old copier had been told of but not copied). Where that cannot
// be done (the exec fails, or does not happen on the main thread), what the
// pipes hold when a copier starts is copied first, stdout before stderr. A
// write whose signal is lost (the real-time queue was full and the kernel sent
// a plain SIGIO instead) leaves data that no signal announces; the copier
// drains it, stdout first, after a short grace for a signal still on its way.

const (
	outputSignal = 40   // a real-time signal that neither Go nor glibc uses
	packetSize   = 4096 // PIPE_BUF: a longer write comes as several messages of this size
	pipeSize     = 256 << 10
	maxPipeSize  = 1 << 20 // the usual fs.pipe-max-size
	orphanGrace  = 20 * time.Millisecond
	queueLimit   = 1 << 20 // bytes read and not yet written out before reading pauses
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
	fds     [2]int // the descriptors still to read (by the reader), -1 once at EOF
	order   []int  // streams with messages due before any signal (from a handoff)
	backlog [2]int // bytes in the pipes before they were signalled
	slots   [2]int // the pipes' capacity in messages
	shared  bool   // the signals go to the process, whose threads all block them
	lost    bool   // a signal was lost before this copier ran
	kick    int    // eventfd that wakes the reader: a request, or room in the queue

	mu       sync.Mutex
	queue    []chunk // read, not yet written out
	queued   int     // bytes in queue
	ended    bool    // the reader is done
	req      *stopRequest
	quitting bool
	wake     chan struct{} // the writer has work

	quitCh     chan struct{}
	quitOnce   sync.Once
	readerDone chan struct{}
	started    bool
	copied     chan struct{} // closed when the writer has written everything
}

// stopRequest asks the reader to end and reply with the streams of the
// writes announced to it and not read; keep leaves the pipes signal-driven
// (their signals were directed at another thread first).
type stopRequest struct {
	keep  bool
	reply chan []int
}

// newPacketPipe makes a pipe in packet mode.
func newPacketPipe() (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_DIRECT); err != nil {
		return nil, nil, err
	}
	// Room for many short writes (one message each) while nobody reads: the
	// system's maximum, else less; the default does too.
	for _, size := range []int{maxPipeSize, pipeSize} {
		if _, err := unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, size); err == nil {
			break
		}
	}
	return os.NewFile(uintptr(p[0]), "pipe-r"), os.NewFile(uintptr(p[1]), "pipe-w"), nil
}

// newCopier starts the ordered copy of the read ends out and errf, with what
// the previous shape handed over (see handoff) due first: queued output,
// then the streams of order. It returns once every later write to the pipes
// is signalled.
func newCopier(out, errf *os.File, queued []chunk, order []int) *copier {
	c := makeCopier(out, errf, queued, order)
	c.startReader()
	return c
}

// takeOverCopier is newCopier for the pipes whose signals the previous shape
// directed at this thread (the main one, which keeps them across the exec,
// and with them blocked: so does every thread of this program). It must run
// on that thread. The signals queued meanwhile come after order; from now on
// they are queued to the process.
func takeOverCopier(out, errf *os.File, queued []chunk, order []int) *copier {
	c := makeCopier(out, errf, queued, order)
	c.shared = true
	for _, fd := range c.raw {
		_ = setOwner(fd, ownerProcess, os.Getpid())
	}
	if sfd, err := unix.Signalfd(-1, outputSigset(), unix.SFD_CLOEXEC|unix.SFD_NONBLOCK); err == nil {
		more, lost := readSignals(sfd, c.fds)
		c.order, c.lost = append(c.order, more...), lost
		unix.Close(sfd)
	}
	c.startReader()
	return c
}

func makeCopier(out, errf *os.File, queued []chunk, order []int) *copier {
	c := &copier{files: [2]*os.File{out, errf}, order: order, kick: -1, wake: make(chan struct{}, 1),
		quitCh: make(chan struct{}), readerDone: make(chan struct{}), copied: make(chan struct{})}
	for i, f := range c.files {
		c.raw[i] = int(f.Fd()) // Fd makes it blocking: set non-blocking after
		c.fds[i] = c.raw[i]
		_ = unix.SetNonblock(c.raw[i], true)
		c.slots[i] = 16 // the default
		if size, err := unix.FcntlInt(uintptr(c.raw[i]), unix.F_GETPIPE_SZ, 0); err == nil {
			c.slots[i] = size / packetSize
		}
	}
	for _, ch := range queued {
		c.push(ch.stream, ch.data)
	}
	if fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err == nil {
		c.kick = fd
	}
	return c
}

func (c *copier) startReader() {
	ready := make(chan struct{})
	go c.read(ready)
	<-ready
}

// read is the reader: on a thread of its own, with the output signals
// blocked (so that they stay queued for its signalfd) and, unless shared,
// directed at it, it reads the pipes into the queue until both end or it is
// asked to stop.
func (c *copier) read(ready chan<- struct{}) {
	defer close(c.readerDone)
	runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
	sfd, err := c.arm()
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor: output order:", err)
	}
	close(ready)
	defer func() {
		if sfd >= 0 {
			unix.Close(sfd)
		}
		c.mu.Lock()
		c.ended = true
		c.mu.Unlock()
		c.notify()
	}()
	buf := make([]byte, 64<<10)
	c.catchUp(buf)
	for c.fds[streamOut] >= 0 || c.fds[streamErr] >= 0 {
		if c.answer(sfd) {
			return
		}
		if !c.readOnce(sfd, buf) {
			break
		}
	}
	c.disarm()
}

// readOnce waits for output (or a kick) and reads what is announced.
func (c *copier) readOnce(sfd int, buf []byte) bool {
	pfds := []unix.PollFd{{Fd: int32(c.kick), Events: unix.POLLIN}, {Fd: int32(sfd), Events: unix.POLLIN}}
	if c.full() {
		pfds = pfds[:1] // wait for room
	} else {
		for _, fd := range c.fds {
			pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}) // -1 is ignored
		}
	}
	if _, err := unix.Poll(pfds, -1); err != nil && !errors.Is(err, unix.EINTR) {
		fmt.Fprintln(os.Stderr, "berth-monitor: output:", err)
		return false
	}
	if pfds[0].Revents != 0 {
		var b [8]byte
		_, _ = unix.Read(c.kick, b[:])
		return true
	}
	if len(pfds) < 4 {
		return true
	}
	order, lost := readSignals(sfd, c.fds)
	c.take(order, buf)
	unannounced := pfds[2].Revents != 0 || pfds[3].Revents != 0
	if lost || (len(order) == 0 && unannounced && !c.awaitSignal(sfd)) {
		c.drain(streamOut, buf)
		c.drain(streamErr, buf)
	}
	return true
}

// answer ends the reader if asked: it reports whether it must end.
func (c *copier) answer(sfd int) bool {
	c.mu.Lock()
	req, quitting := c.req, c.quitting
	c.mu.Unlock()
	switch {
	case req != nil:
		if !req.keep {
			c.disarm()
		}
		more, _ := readSignals(sfd, c.fds)
		req.reply <- more
		return true
	case quitting:
		c.disarm()
		return true
	}
	return false
}

// disarm stops the pipes' signals. It must happen before the reader's thread
// ends: the signals would go to whichever thread gets its ID next (after an
// exec, this thread's ID may be the new program's main thread, which a
// real-time signal kills before the Go runtime installs its handlers).
func (c *copier) disarm() {
	for _, fd := range c.raw {
		quietPipe(fd)
	}
}

// arm blocks the output signals on this thread and, unless they are shared,
// measures what the pipes hold already and directs their signals here. It
// returns the signalfd, or -1 if the kernel would not.
func (c *copier) arm() (int, error) {
	if err := blockOutputSignals(); err != nil {
		return -1, err
	}
	sfd, err := unix.Signalfd(-1, outputSigset(), unix.SFD_CLOEXEC|unix.SFD_NONBLOCK)
	if err != nil {
		return -1, fmt.Errorf("signalfd: %w", err)
	}
	if c.shared {
		return sfd, nil
	}
	for i, fd := range c.fds {
		c.backlog[i], _ = unix.IoctlGetInt(fd, unix.TIOCINQ) // FIONREAD
	}
	for _, fd := range c.fds {
		if err := signalPipe(fd, unix.Gettid()); err != nil {
			unix.Close(sfd)
			return -1, err
		}
	}
	return sfd, nil
}

// catchUp reads what was announced before this copier ran: the streams of
// order, then what the pipes held unannounced (stdout first).
func (c *copier) catchUp(buf []byte) {
	for s, n := range c.take(c.order, buf) {
		c.backlog[s] -= n
	}
	c.order = nil
	if c.lost {
		c.drain(streamOut, buf)
		c.drain(streamErr, buf)
	}
	for s := range c.backlog {
		for c.backlog[s] > 0 {
			n := c.message(s, buf)
			if n == 0 {
				break
			}
			c.backlog[s] -= n
		}
	}
}

// take reads the writes that a batch of signals announces, in order. A
// writer that finds its pipe full is signalled once more before it waits:
// all the writes announced by the signals of one batch are in the pipe at
// once, so a stream's signals beyond the pipe's capacity (in messages) are
// such extra ones, and skipped. It returns the bytes read per stream.
func (c *copier) take(order []int, buf []byte) [2]int {
	var seen, n [2]int
	for _, s := range order {
		if seen[s]++; seen[s] <= c.slots[s] {
			n[s] += c.message(s, buf)
		}
	}
	return n
}

// handoff stops the reader of a copier that has not started writing out and
// returns what the next shape must copy first: the output read, then the
// streams of the writes announced and not read. With toThread (the caller
// runs on the main thread and execs from it), the pipes' signals are first
// directed at the calling thread, blocked there, so that the writes made
// while no copier runs are still announced, in order, to the next shape
// (handed is then true); otherwise they are not signalled until the next
// copier starts.
func (c *copier) handoff(toThread bool) (queued []chunk, order []int, handed bool) {
	if toThread {
		if toThread = blockOutputSignals() == nil; toThread {
			for _, fd := range c.raw {
				if setOwner(fd, ownerThread, unix.Gettid()) != nil {
					toThread = false
				}
			}
		}
	}
	req := &stopRequest{keep: toThread, reply: make(chan []int, 1)}
	c.mu.Lock()
	c.req = req
	c.mu.Unlock()
	c.poke()
	select {
	case order = <-req.reply:
	case <-c.readerDone:
	}
	<-c.readerDone
	c.mu.Lock()
	queued, c.queue, c.queued = c.queue, nil, 0
	c.mu.Unlock()
	return queued, order, toThread
}

// close stops the copier and waits for it, the writing out of what was read
// included; the files stay open.
func (c *copier) close() {
	c.quitOnce.Do(func() {
		c.mu.Lock()
		c.quitting = true
		c.mu.Unlock()
		close(c.quitCh)
		c.poke()
	})
	<-c.readerDone
	if c.started {
		<-c.copied
	}
	if c.kick >= 0 {
		unix.Close(c.kick)
		c.kick = -1
	}
}
