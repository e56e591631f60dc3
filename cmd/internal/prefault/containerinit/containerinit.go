// Package containerinit maps in, as it initialises, the memory a container's
// init touches as it starts, when the process is libcontainer's container
// init; other processes of the binary are left as they are (see package
// prefault).
//
// Besides part of the Go heap and the data segment, the init's C heap is
// made ready: libseccomp, compiling the container's filter, grows glibc's
// heap by about 750 KiB a page at a time (about 190 faults). The heap is
// grown once by mallocHeapBytes (and glibc's padding: about 900 KiB in all)
// and mapped in with one call, and glibc is told to keep it: the process
// soon executes the container's command, which frees it all (a container
// created and not yet started holds it until it starts).
package containerinit

/*
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static uintptr_t berth_heap_top(void) { return (uintptr_t)sbrk(0); }

// berth_prefault_malloc_heap returns the start of the range it mapped in
// (it ends at the heap's top), or 0 when the heap did not grow in place.
static uintptr_t berth_prefault_malloc_heap(size_t n) {
	mallopt(M_MMAP_THRESHOLD, (int)(2 * n)); // n comes from the heap, not mmap
	mallopt(M_TRIM_THRESHOLD, (int)(4 * n)); // and stays there once freed
	char *p = malloc(n);
	if (p == NULL) {
		return 0;
	}
	uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
	uintptr_t hi = (uintptr_t)sbrk(0);
	free(p);
	if (hi > lo && hi - lo <= 2 * n) {
		madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
		return lo;
	}
	return 0; // malloc took n from an mmap, not the heap: nothing to keep
}
*/
import "C"

import "berth/cmd/internal/prefault"

// mallocHeapBytes is what the C heap is grown by and mapped in.
const mallocHeapBytes = 768 << 10

func init() {
	if prefault.IsContainerInit(prefault.Cmdline()) {
		prefault.Map(prefault.ContainerInit())
		mallocHeap(mallocHeapBytes)
	}
}

// mallocHeap grows the C heap by n bytes, maps them in and keeps them. It
// returns where the mapped-in range starts (it ends at heapTop), or 0 when
// the heap could not grow in place and nothing was mapped in.
func mallocHeap(n int) uintptr { return uintptr(C.berth_prefault_malloc_heap(C.size_t(n))) }

// heapTop is the C heap's end (sbrk(0)).
func heapTop() uintptr { return uintptr(C.berth_heap_top()) }
