//go:build cgo

package containerinit

import (
	"syscall"
	"testing"
	"unsafe"
)

// TestMallocHeapIsResident checks with mincore(2) that the C heap's last
// mallocHeapBytes are resident after mallocHeap.
func TestMallocHeapIsResident(t *testing.T) {
	b, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(b)
	if err := syscall.Madvise(b, 23); err != nil { // MADV_POPULATE_WRITE
		t.Skipf("no MADV_POPULATE_WRITE here (before Linux 5.14): %v", err)
	}
	lo := mallocHeap(mallocHeapBytes)
	if lo == 0 {
		// brk could not grow here (a mapping lies above the heap, as address
		// space randomization sometimes places one): malloc used mmap.
		t.Skip("the C heap could not grow in place in this process; nothing was mapped in")
	}
	hi := heapTop()
	if hi-lo < mallocHeapBytes {
		t.Fatalf("mapped in %d bytes below the C heap's top, want at least %d", hi-lo, mallocHeapBytes)
	}
	lo = hi - mallocHeapBytes
	vec := make([]byte, mallocHeapBytes/syscall.Getpagesize())
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, lo, hi-lo, uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatalf("mincore %x-%x: %v", lo, hi, e)
	}
	n := 0
	for _, v := range vec {
		if v&1 == 0 {
			n++
		}
	}
	if n > 0 {
		t.Fatalf("%d of %d pages below the C heap's top are not resident", n, len(vec))
	}
}
