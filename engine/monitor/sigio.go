package monitor

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Signal-driven pipes (see order.go): the kernel's side of the ordered copy.

// Owner types of F_SETOWN_EX.
const (
	ownerThread  = 0 // F_OWNER_TID: the signal is queued to one thread
	ownerProcess = 1 // F_OWNER_PID: to the process, for any thread that takes it
)

// outputSigset holds the output signal and SIGIO, which the kernel sends
// instead when the real-time queue is full.
func outputSigset() *unix.Sigset_t {
	var set unix.Sigset_t
	for _, s := range []int{outputSignal, int(unix.SIGIO)} {
		set.Val[(s-1)/64] |= 1 << ((s - 1) % 64)
	}
	return &set
}

// blockOutputSignals keeps the output signals queued for a signalfd on the
// calling thread (lock it first).
func blockOutputSignals() error {
	return unix.PthreadSigmask(unix.SIG_BLOCK, outputSigset(), nil)
}

// unblockOutputSignals undoes blockOutputSignals, before an exec whose
// program must not inherit the mask (a container started by it would).
func unblockOutputSignals() error {
	return unix.PthreadSigmask(unix.SIG_UNBLOCK, outputSigset(), nil)
}

// setOwner directs the signals of fd at a thread or the process id.
func setOwner(fd, typ, id int) error {
	owner := struct{ typ, pid int32 }{int32(typ), int32(id)}
	if _, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), unix.F_SETOWN_EX, uintptr(unsafe.Pointer(&owner))); e != 0 {
		return e
	}
	return nil
}

// signalPipe makes the pipe fd queue the output signal to thread tid on
// every write.
func signalPipe(fd, tid int) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETSIG, outputSignal); err != nil {
		return fmt.Errorf("signal-driven pipe: %w", err)
	}
	if err := setOwner(fd, ownerThread, tid); err != nil {
		return fmt.Errorf("signal-driven pipe: %w", err)
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err == nil {
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl|unix.O_ASYNC)
	}
	if err != nil {
		return fmt.Errorf("signal-driven pipe: %w", err)
	}
	return nil
}

// quietPipe stops the signals of the pipe fd.
func quietPipe(fd int) {
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil && fl&unix.O_ASYNC != 0 {
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_ASYNC)
	}
}

// readSignals reads the output signals queued for sfd: the streams (indexes
// into fds) written, in order, and whether some signal was lost.
func readSignals(sfd int, fds [2]int) ([]int, bool) {
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
			for i, fd := range fds {
				if fd >= 0 && int32(fd) == s.Fd {
					order = append(order, i)
				}
			}
		}
	}
}
