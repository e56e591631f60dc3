// Package prefault maps in, with one system call per region, the memory a
// short berth process is about to touch page by page: the Go heap's first
// chunk and the binary's data segment with the start of its bss.
// Its subpackages do it as they initialise: prefault/always in every
// process of a binary (berth), prefault/containerinit only in libcontainer's
// container init (berth-monitor re-executed as "init"), so that a
// long-lived monitor keeps its small footprint.
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
	// heapChunk is the granule the Go runtime maps its heap in
	// (pallocChunkBytes): its first mapping, all a start is sure to use.
	heapChunk = 4 << 20
	// bssBytes bounds how much of the bss after the data segment is mapped
	// in: berth's is 37 MB, nearly all of it arrays a start never touches;
	// the runtime's and the packages' variables it does touch lie in its
	// first few hundred KiB.
	bssBytes = 1 << 20
)

// probe is a heap object whose address locates the heap's first chunk;
// dataMarker, a variable with an initial value, locates the data segment.
var (
	probe      *[16]byte
	dataMarker = uintptr(1)
)

// Now maps the regions in. Call it from an init function of a package that
// imports nothing else.
func Now() {
	probe = new([16]byte)
	heap := uintptr(unsafe.Pointer(probe))
	data := uintptr(unsafe.Pointer(&dataMarker))
	dataEnd := uintptr(0)
	forEachMapping(readMaps(), func(lo, hi uintptr) {
		switch {
		case lo <= heap && heap < hi:
			// The runtime's first mapping of the heap; its start is
			// not always a chunk's (the base is randomised).
			populate(lo, min(hi, lo+heapChunk))
		case lo <= data && data < hi:
			populate(lo, hi)
			dataEnd = hi
		case lo == dataEnd:
			populate(lo, min(hi, lo+bssBytes))
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
	b := readFile("/proc/self/cmdline", 4096)
	for i, c := range b {
		if c == 0 {
			rest := b[i+1:]
			return len(rest) >= 5 && string(rest[:5]) == "init\x00"
		}
	}
	return false
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
