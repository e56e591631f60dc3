// Package prefault maps in, with one system call per region, the memory a
// short berth process is about to touch page by page: the Go heap's first
// mapping and the binary's data segment with the start of its bss.
// Its subpackages do it as they initialise: prefault/always in every
// process of berth, prefault/containerinit only in libcontainer's container
// init (berth-monitor re-executed as "init"), so that a long-lived monitor
// keeps its small footprint.
//
// A page fault is cheap on bare metal but costs about 20 µs in some virtual
// machines (this one among them), where the ~1,000 faults of a berth start
// are a third of a cached build's time; MADV_POPULATE_WRITE maps the same
// pages for about 1 µs each. The package imports only syscall and unsafe so
// that it initialises before every package that allocates much (package
// initialisation follows import paths in order once dependencies are done,
// and "berth/..." sorts ahead of the standard library and the modules).
// Where the kernel lacks MADV_POPULATE_WRITE (before Linux 5.14) nothing
// happens.
package prefault

import (
	"syscall"
	"unsafe"
)

const (
	madvPopulateWrite = 23
	pageBytes         = 4096
)

// Budget is how much of each region Map maps in.
type Budget struct {
	// Heap bounds what is mapped of the Go heap's first mapping, from the
	// page that holds a fresh object up (the runtime maps its heap 4 MiB
	// at a time).
	Heap uintptr
	// Data bounds what is mapped of the data segment (initialised
	// variables: berth's is about 1 MB, the monitor's 120 KB).
	Data uintptr
	// BSS bounds what is mapped of the bss after the data segment (berth's
	// is 37 MB, nearly all of it arrays a start never touches; the
	// variables it does touch lie in its first few hundred KiB).
	BSS uintptr
}

// Process is the budget of a berth process of its own: 4 MiB of heap (or to
// the end of its first mapping), the data segment, the bss's first MiB (a
// cached build or `berth ps` uses about that).
func Process() Budget { return Budget{Heap: 4 << 20, Data: 2 << 20, BSS: 1 << 20} }

// ContainerInit is the budget of a container's init, whose memory is
// charged to the container's cgroup before the container's limit is set:
// the heap's next MiB and the data segment's first 128 KiB, which keep an
// init's peak near 4.1 MB (3.6 MB without, 4.9-5.2 MB with the process
// budget), well under the 6 MB that is the smallest limit Docker allows.
func ContainerInit() Budget { return Budget{Heap: 1 << 20, Data: 128 << 10} }

// probe is a heap object whose address locates the heap's top (it is kept
// in a package variable only so that the compiler puts it on the heap);
// dataMarker, a variable with an initial value, locates the data segment.
var (
	probe      *[16]byte
	dataMarker = uintptr(1)
)

// Map maps the regions in, within budget b. Call it from an init function
// of a package that imports nothing else.
func Map(b Budget) {
	probe = new([16]byte)
	heap := uintptr(unsafe.Pointer(probe))
	data := uintptr(unsafe.Pointer(&dataMarker))
	dataEnd := uintptr(0)
	forEachMapping(readMaps(), func(lo, hi uintptr) {
		switch {
		case lo <= heap && heap < hi:
			// The heap grows up from where the runtime began it (not
			// the mapping's start: the base is randomised): what lies
			// below a fresh object is in use already.
			from := heap &^ (pageBytes - 1)
			populate(from, min(hi, from+b.Heap))
		case lo <= data && data < hi:
			populate(lo, min(hi, lo+b.Data))
			dataEnd = hi
		case lo == dataEnd:
			populate(lo, min(hi, lo+b.BSS))
		}
	})
}

// populate maps [lo, hi) in, writable, in one call.
func populate(lo, hi uintptr) {
	if hi > lo {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvPopulateWrite)
	}
}

// IsContainerInit reports whether the process was started as libcontainer's
// container init (argv[1] is "init"), read from /proc/self/cmdline.
func IsContainerInit() bool {
	args := readFile("/proc/self/cmdline", 4096)
	return argIndex(args, "init") == 1
}

// IsServer reports whether "serve" is among the process's arguments (berth
// serve: long-lived, its idle memory is one of its figures, its start is
// not on anyone's path). Another argument that happens to be "serve" only
// costs that process the mapping ahead.
func IsServer() bool {
	return argIndex(readFile("/proc/self/cmdline", 4096), "serve") > 0
}

// argIndex is the index of the first argument equal to arg in args (as
// /proc/PID/cmdline lists them: each ends with a NUL), or -1.
func argIndex(args []byte, arg string) int {
	for i := 0; len(args) > 0; i++ {
		end := 0
		for end < len(args) && args[end] != 0 {
			end++
		}
		if string(args[:end]) == arg {
			return i
		}
		if end == len(args) {
			break
		}
		args = args[end+1:]
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
	for {
		if len(buf) == cap(buf) {
			return buf // what was read is enough
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if n <= 0 || err != nil {
			return buf
		}
		buf = buf[:len(buf)+n]
	}
}

// forEachMapping calls fn with the bounds of each mapping listed in maps
// (lines of "lo-hi perms ..." in hexadecimal), in order.
func forEachMapping(maps []byte, fn func(lo, hi uintptr)) {
	for len(maps) > 0 {
		line := maps
		for i, c := range maps {
			if c == '\n' {
				line, maps = maps[:i], maps[i+1:]
				break
			}
		}
		if len(line) == len(maps) {
			maps = nil
		}
		lo, rest := hex(line)
		if len(rest) == 0 || rest[0] != '-' {
			continue
		}
		hi, _ := hex(rest[1:])
		if hi > lo {
			fn(lo, hi)
		}
	}
}

// hex reads a hexadecimal number from the start of b and returns it with
// what follows it.
func hex(b []byte) (uintptr, []byte) {
	var v uintptr
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | uintptr(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | uintptr(c-'a'+10)
		default:
			return v, b[i:]
		}
	}
	return v, nil
}
