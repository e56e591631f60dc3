// Package prefault maps in, with one system call per region, the memory a
// short berth process is about to touch page by page: the Go heap above its
// newest object, and the first part of the binary's data segment and bss.
// Its subpackages do it as they initialise: prefault/always in berth's
// processes (but for two kinds, see there), prefault/containerinit only in
// libcontainer's container init (berth-monitor re-executed as "init"), so
// that a long-lived monitor keeps its small footprint.
//
// A page fault is cheap on bare metal but costs about 20 µs of CPU in some
// virtual machines (this one among them), where the ~1,000 faults of a
// berth start are a third of a cached build's time; MADV_POPULATE_WRITE
// maps the same pages for about 1 µs each. What it saves varies from run to
// run: the runtime maps its heap 4 MiB at a time from a randomised base, so
// the part of the first mapping above the newest object (all that can be
// mapped ahead) is anything from a few hundred KiB to 4 MiB.
//
// The packages import only syscall and unsafe (and cgo's runtime), so they
// initialise early: Go initialises, among the packages whose imports are
// done, the first in import-path order, and once syscall is done berth's
// sort ahead of the packages that allocate much (time, os, reflect, the
// modules). Where the kernel lacks MADV_POPULATE_WRITE (before Linux 5.14)
// or /proc is not mounted nothing happens.
package prefault

import (
	"syscall"
	"unsafe"
)

const madvPopulateWrite = 23

// Budget is how much of each region Map maps in.
type Budget struct {
	// Heap bounds what is mapped of the Go heap's mapping, from the page
	// that holds a fresh object up.
	Heap uintptr
	// Data bounds what is mapped of the data segment (initialised
	// variables, copied on write: berth's is about 1 MB, of which a start
	// writes to pages in the first 450 KiB; the monitor's is 120 KB).
	Data uintptr
	// BSS bounds what is mapped of the bss after the data segment (berth's
	// is 37 MB, nearly all of it arrays a start never touches; the
	// variables it does touch lie in its first 400 KiB).
	BSS uintptr
}

// Process is the budget of a berth process of its own: 4 MiB of heap (or
// to the end of its first mapping), the first 512 KiB of the data segment
// and of the bss. A process that lives on keeps what it did not use (a few
// MiB at most; the runtime counts those pages as released and never
// returns them).
func Process() Budget { return Budget{Heap: 4 << 20, Data: 512 << 10, BSS: 512 << 10} }

// ContainerInit is the budget of a container's init, whose memory is
// charged to the container's cgroup before the container's limit is set:
// the heap's next 2 MiB and the data segment's first 128 KiB. The init's
// heap fills about that much as it sets the container up (its page faults:
// 440-590 with the next MiB mapped, 270-350 with 2 MiB), and its peak
// stays near 4.1-4.7 MB (3.6 MB with nothing mapped, 4.1-4.4 with 1 MiB,
// up to 6.7 with 4 MiB, as the heap's randomised base leaves more or less
// of its first mapping above the fresh object), under the 6 MB that is the
// smallest limit Docker allows (TestSmallestMemoryLimit).
func ContainerInit() Budget { return Budget{Heap: 2 << 20, Data: 128 << 10} }

// Spare is the budget of a spare monitor once it has warmed up, while it
// waits for a container: the heap's next 768 KiB, which the container's
// creation on its start's path fills (about 130 faults otherwise). A
// monitor keeps what its creation touched for the container's life anyway,
// so the cost is the part it does not fill.
func Spare() Budget { return Budget{Heap: 768 << 10} }

// dataMarker, a variable with an initial value, locates the data segment.
var dataMarker = uintptr(1)

// heapObject returns a fresh object on the heap: the function is not
// inlined, so the object escapes to the heap, where its address locates the
// heap's top.
//
//go:noinline
func heapObject() *[16]byte { return new([16]byte) }

// Map maps the regions in, within budget b. Call it from an init function
// of a package that imports nothing else.
func Map(b Budget) { mapIn(b) }

// mapIn is Map; it returns the part of the heap it mapped in ([lo, hi),
// empty when no mapping held the fresh object).
func mapIn(b Budget) (heapLo, heapHi uintptr) {
	heap := uintptr(unsafe.Pointer(heapObject()))
	data := uintptr(unsafe.Pointer(&dataMarker))
	page := uintptr(syscall.Getpagesize())
	dataEnd := uintptr(0)
	forEachMapping(readMaps(), func(lo, hi uintptr) {
		switch {
		case lo <= heap && heap < hi:
			// The heap grows up from where the runtime began it (not
			// the mapping's start: the base is randomised): what lies
			// below a fresh object is in use already.
			heapLo = heap &^ (page - 1)
			heapHi = min(hi, heapLo+b.Heap)
			populate(heapLo, heapHi)
		case lo <= data && data < hi:
			populate(lo, min(hi, lo+b.Data))
			dataEnd = hi
		case lo == dataEnd:
			populate(lo, min(hi, lo+b.BSS))
		}
	})
	return heapLo, heapHi
}

// populate maps [lo, hi) in, writable, in one call.
func populate(lo, hi uintptr) {
	if hi > lo {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvPopulateWrite)
	}
}

// Cmdline is the process's arguments as /proc/self/cmdline lists them (each
// ends with a NUL), or nothing when it cannot be read.
func Cmdline() []byte { return readFile("/proc/self/cmdline", 4096) }

// IsContainerInit reports whether cmdline is that of libcontainer's
// container init: argv[1] is "init", as runner.IsInit decides (which this
// package cannot import: it initialises libcontainer).
func IsContainerInit(cmdline []byte) bool { return argIndex(cmdline, "init") == 1 }

// IsServer reports whether "serve" is among cmdline's arguments (berth
// serve: long-lived, its idle memory is one of its figures, its start is
// not on anyone's path). Another argument that happens to be "serve" only
// costs that process the mapping ahead.
func IsServer(cmdline []byte) bool { return argIndex(cmdline, "serve") > 0 }

// argIndex is the index of the first argument equal to arg in args (as
// /proc/PID/cmdline lists them: each ends with a NUL), or -1.
func argIndex(args []byte, arg string) int {
	for i := 0; len(args) > 0; i++ {
		one, rest := cut(args, 0)
		if string(one) == arg {
			return i
		}
		args = rest
	}
	return -1
}

// readMaps returns /proc/self/maps, or nothing when it cannot be read.
func readMaps() []byte { return readFile("/proc/self/maps", 32<<10) }

// readFile returns up to limit bytes of the file at path, or what could be
// read.
func readFile(path string, limit int) []byte {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	buf := make([]byte, 0, limit)
	for len(buf) < cap(buf) {
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if n <= 0 || err != nil {
			break
		}
		buf = buf[:len(buf)+n]
	}
	return buf
}

// forEachMapping calls fn with the bounds of each mapping listed in maps
// (lines of "lo-hi perms ..." in hexadecimal), in order.
func forEachMapping(maps []byte, fn func(lo, hi uintptr)) {
	for len(maps) > 0 {
		var line []byte
		line, maps = cut(maps, '\n')
		lo, rest, ok := hex(line)
		if !ok || len(rest) == 0 || rest[0] != '-' {
			continue
		}
		if hi, _, ok := hex(rest[1:]); ok && hi > lo {
			fn(lo, hi)
		}
	}
}

// cut splits b at its first sep: what is before it and what follows it
// (nothing when b has no sep).
func cut(b []byte, sep byte) (before, after []byte) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

// hex reads a hexadecimal number of one to 16 digits (lower case) from the
// start of b and returns it with what follows it.
func hex(b []byte) (v uintptr, rest []byte, ok bool) {
	n := 0
	for n < len(b) {
		c := b[n]
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | uintptr(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | uintptr(c-'a'+10)
		default:
			return v, b[n:], n > 0 && n <= 16
		}
		n++
	}
	return v, nil, n > 0 && n <= 16
}
