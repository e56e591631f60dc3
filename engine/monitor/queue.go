package monitor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// chunk is output read from one stream.
type chunk struct {
	stream int
	data   []byte
}

// push queues output of stream s (copied).
func (c *copier) push(s int, p []byte) {
	c.mu.Lock()
	c.queue = append(c.queue, chunk{s, append([]byte(nil), p...)})
	c.queued += len(p)
	c.mu.Unlock()
	c.notify()
}

// full reports whether the reader must wait for the queue to be written out.
func (c *copier) full() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queued >= queueLimit && c.req == nil && !c.quitting
}

// notify tells the writer that there is work.
func (c *copier) notify() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// poke wakes the reader.
func (c *copier) poke() {
	if c.kick >= 0 {
		_, _ = unix.Write(c.kick, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	}
}

// run starts writing the output out, stdout to out and stderr to errw, in
// the order it was written; the channel closes once the streams ended and
// everything is written (or the copier was closed and what it had read is).
func (c *copier) run(out, errw io.Writer) <-chan struct{} {
	c.started = true
	go c.write([2]io.Writer{out, errw})
	return c.copied
}

func (c *copier) write(w [2]io.Writer) {
	defer close(c.copied)
	for {
		c.mu.Lock()
		q, wasFull, ended := c.queue, c.queued >= queueLimit, c.ended
		c.queue, c.queued = nil, 0
		c.mu.Unlock()
		if wasFull {
			c.poke()
		}
		for _, ch := range q {
			w[ch.stream].Write(ch.data)
		}
		if len(q) > 0 {
			continue
		}
		if ended {
			return
		}
		<-c.wake
	}
}

// message reads one write (one message, or the messages of a write longer
// than PIPE_BUF) of stream s into the queue and returns its size.
func (c *copier) message(s int, buf []byte) int {
	total := 0
	for c.fds[s] >= 0 {
		n, err := unix.Read(c.fds[s], buf)
		switch {
		case n > 0:
			c.push(s, buf[:n])
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

// drain reads whatever stream s holds into the queue.
func (c *copier) drain(s int, buf []byte) {
	for c.fds[s] >= 0 {
		n, err := unix.Read(c.fds[s], buf)
		switch {
		case n > 0:
			c.push(s, buf[:n])
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			return
		default:
			c.fds[s] = -1
		}
	}
}

// awaitSignal waits a little for a signal that may be on its way (a write's
// data is in the pipe a moment before its signal is queued).
func (c *copier) awaitSignal(sfd int) bool {
	if sfd < 0 {
		return false
	}
	pfds := []unix.PollFd{{Fd: int32(sfd), Events: unix.POLLIN}, {Fd: int32(c.kick), Events: unix.POLLIN}}
	n, err := unix.Poll(pfds, int(orphanGrace.Milliseconds()))
	return err == nil && n > 0
}

// queueFile puts queued output in a memory file for the next shape: each
// chunk as its stream (one byte), its length (four, big-endian) and its bytes.
func queueFile(q []chunk) (*os.File, error) {
	fd, err := unix.MemfdCreate("berth-output", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("output hand-over: %w", err)
	}
	f := os.NewFile(uintptr(fd), "berth-output")
	var hdr [5]byte
	for _, ch := range q {
		hdr[0] = byte(ch.stream)
		binary.BigEndian.PutUint32(hdr[1:], uint32(len(ch.data)))
		if _, err := f.Write(append(hdr[:], ch.data...)); err != nil {
			f.Close()
			return nil, fmt.Errorf("output hand-over: %w", err)
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("output hand-over: %w", err)
	}
	return f, nil
}

// readQueueFile reads what queueFile wrote, and closes f.
func readQueueFile(f *os.File) ([]chunk, error) {
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("output hand-over: %w", err)
	}
	var q []chunk
	for len(b) > 0 {
		if len(b) < 5 || b[0] > streamErr || int(binary.BigEndian.Uint32(b[1:5])) > len(b)-5 {
			return q, errors.New("output hand-over: truncated")
		}
		n := int(binary.BigEndian.Uint32(b[1:5]))
		q = append(q, chunk{int(b[0]), b[5 : 5+n]})
		b = b[5+n:]
	}
	return q, nil
}
