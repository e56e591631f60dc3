package engine

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"berth/engine/runner"
)

// A monitor is the binary libcontainer re-executes as the container's init,
// and, to keep a container from reaching the host's binary through
// /proc/self/exe (CVE-2019-5736), libcontainer runs the init from a sealed
// clone of it: made at every start (a temporary overlay mount, some 0.5 ms)
// unless the monitor already runs from a sealed in-memory copy. An engine
// that keeps spare monitors (berth serve, a build) makes that copy once and
// starts its spares from it; a one-off start (berth run) runs the binary
// on disk, as a copy for one start would cost more than it saves.

// spareExe holds an engine's sealed copy of the monitor binary.
type spareExe struct {
	f      *os.File // nil until made
	failed bool     // making it failed: spares run the binary on disk
	path   string   // /proc/self/fd/N of the copy
}

// monitorExe is the path spare monitors are started from (see above): the
// sealed copy for an engine that keeps spares (made at its first call), the
// binary on disk otherwise or when the copy cannot be made. The caller
// holds spares.mu.
func (e *Engine) monitorExe() string {
	x := &e.spares.exe
	if !e.spares.keeping() || x.failed {
		return e.monitorPath
	}
	if x.f == nil {
		f, err := runner.SealedCopy(e.monitorPath, e.runRoot)
		if err == nil {
			f, err = highFd(f)
		}
		if err != nil {
			x.failed = true
			return e.monitorPath
		}
		x.f, x.path = f, "/proc/self/fd/"+strconv.Itoa(int(f.Fd()))
	}
	return x.path
}

// exeFdMin is the lowest descriptor number the copy may have: a fork for an
// exec moves the child's files (and its error pipe) to low numbers before
// the exec that opens /proc/self/fd/N, and must not put one of them at N.
const exeFdMin = 64

// highFd moves f to a descriptor at exeFdMin or above (close-on-exec).
func highFd(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, exeFdMin)
	if err != nil {
		return nil, fmt.Errorf("sealed monitor binary: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// closeMonitorExe drops the sealed copy (the spares started from it keep
// their own reference to it); the caller holds spares.mu.
func (e *Engine) closeMonitorExe() {
	if x := &e.spares.exe; x.f != nil {
		x.f.Close()
		x.f = nil
	}
}
