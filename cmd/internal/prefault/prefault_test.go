package prefault

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestMain is also the helper TestIsContainerInit starts with argv[1] of its
// choice: it prints what IsContainerInit says of its own command line.
func TestMain(m *testing.M) {
	if os.Getenv("PREFAULT_TEST_HELPER") == "1" {
		fmt.Print(IsContainerInit(Cmdline()))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestForEachMapping(t *testing.T) {
	tests := []struct {
		name string
		maps string
		want string
	}{
		{"empty", "", ""},
		{"one line no newline", "00400000-00403000 r--p 00000000 fd:01 42 /bin/x", "400000-403000"},
		{"two lines", "00400000-00403000 r--p 0 0 0 /x\n7ffd1000-7ffd3000 rw-p 0 0 0 [stack]\n", "400000-403000 7ffd1000-7ffd3000"},
		{"a line as long as the rest", "1000-2000\n3000-4000", "1000-2000 3000-4000"},
		{"the same, with a newline", "1000-2000 rw-p\n3000-4000 rw-\n", "1000-2000 3000-4000"},
		{"garbage skipped", "zz\n1000-800 bad\n-\n2000-3000 x\n", "2000-3000"},
		{"uppercase is not hex", "A000-B000 x\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s := mappings([]byte(tc.maps)); s != tc.want {
				t.Fatalf("got %q, want %q", s, tc.want)
			}
		})
	}
}

// mappings is what forEachMapping reports of maps, as "lo-hi" words.
func mappings(maps []byte) string {
	var got []string
	forEachMapping(maps, func(lo, hi uintptr) { got = append(got, fmt.Sprintf("%x-%x", lo, hi)) })
	return strings.Join(got, " ")
}

// refMappings is mappings written with the standard library.
func refMappings(maps []byte) string {
	var got []string
	for _, line := range strings.Split(string(maps), "\n") {
		lo, rest, ok := strings.Cut(line, "-")
		if !ok || lo == "" || strings.ToLower(lo) != lo {
			continue
		}
		end := strings.IndexFunc(rest, func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) })
		if end < 0 {
			end = len(rest)
		}
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(rest[:end], 16, 64)
		if err1 == nil && err2 == nil && b > a && len(lo) <= 16 && end <= 16 {
			got = append(got, fmt.Sprintf("%x-%x", a, b))
		}
	}
	return strings.Join(got, " ")
}

func FuzzForEachMapping(f *testing.F) {
	f.Add([]byte("00400000-00403000 r--p 00000000 fd:01 42 /bin/x\n"))
	f.Add([]byte("ffffffffff600000-ffffffffff601000 --xp 0 0 0 [vsyscall]"))
	f.Add([]byte("1000-2000\n3000-4000"))
	f.Add([]byte("\n\n-\n0-0\n"))
	f.Add([]byte("-1\n1-\n10000000000000000-20000000000000000\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := mappings(b), refMappings(b); got != want {
			t.Fatalf("forEachMapping(%q) = %q, want %q", b, got, want)
		}
	})
}

func TestArgIndex(t *testing.T) {
	tests := []struct {
		args, arg string
		want      int
	}{
		{"berth\x00init\x00", "init", 1},
		{"berth\x00init", "init", 1},
		{"berth\x00initx\x00", "init", -1},
		{"/bin/berth\x00--root\x00/r\x00serve\x00", "serve", 3},
		{"", "init", -1},
		{"init\x00", "init", 0},
		{"\x00\x00init\x00", "init", 2},
	}
	for _, tc := range tests {
		if got := argIndex([]byte(tc.args), tc.arg); got != tc.want {
			t.Errorf("argIndex(%q, %q) = %d, want %d", tc.args, tc.arg, got, tc.want)
		}
	}
}

func FuzzArgIndex(f *testing.F) {
	f.Add([]byte("berth\x00init\x00"), "init")
	f.Add([]byte("\x00"), "")
	f.Fuzz(func(t *testing.T, args []byte, arg string) {
		want := -1
		for i, a := range bytes.Split(bytes.TrimSuffix(args, []byte{0}), []byte{0}) {
			if len(args) > 0 && string(a) == arg {
				want = i
				break
			}
		}
		if got := argIndex(args, arg); got != want {
			t.Fatalf("argIndex(%q, %q) = %d, want %d", args, arg, got, want)
		}
	})
}

// requirePopulate skips where the kernel has no MADV_POPULATE_WRITE (before
// Linux 5.14): there Map does nothing, by design.
func requirePopulate(t *testing.T) {
	t.Helper()
	b, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(b)
	if err := syscall.Madvise(b, madvPopulateWrite); err != nil {
		t.Skipf("no MADV_POPULATE_WRITE here: %v", err)
	}
}

// TestMapMapsTheHeapIn checks with mincore(2) that after Map every page of
// the part of the heap it chose, from the page of a fresh object up, is
// resident. (It checks that range, not one above an object allocated after
// Map: such an object may sit in a span the allocator took from elsewhere in
// the heap, or in a mapping Map never saw.) The runtime's scavenger returns
// free pages to the kernel from other threads, and now and then some of
// those Map has just mapped in (a run of 1-15 pages in one try of 3,000
// under load): the test releases what is free first, collects nothing while
// it runs, and tries three times; a Map that maps nothing in fails all three.
func TestMapMapsTheHeapIn(t *testing.T) {
	requirePopulate(t)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	debug.FreeOSMemory()
	var err error
	for try := 0; try < 3; try++ {
		if err = mapsTheHeapIn(); err == nil {
			return
		}
		t.Log(err)
	}
	t.Fatal(err)
}

// mapsTheHeapIn calls mapIn and says what is wrong with the range it maps
// in: empty or unaligned, outside any mapping, or with pages not resident.
func mapsTheHeapIn() error {
	lo, hi := mapIn(Process())
	page := uintptr(syscall.Getpagesize())
	if hi <= lo || lo%page != 0 {
		return fmt.Errorf("mapped in the heap at %x-%x: want a page-aligned, non-empty range", lo, hi)
	}
	n, err := absent(lo, hi)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d of %d pages of the heap at %x-%x are not resident", n, (hi-lo)/page, lo, hi)
	}
	found := false
	forEachMapping(readMaps(), func(mlo, mhi uintptr) { found = found || (mlo <= lo && hi <= mhi) })
	if !found {
		return fmt.Errorf("no mapping holds the range %x-%x", lo, hi)
	}
	return nil
}

// absent counts the pages of [lo, hi) that mincore reports not resident.
func absent(lo, hi uintptr) (int, error) {
	page := uintptr(syscall.Getpagesize())
	vec := make([]byte, (hi-lo+page-1)/page)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, lo, hi-lo, uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		return 0, fmt.Errorf("mincore: %w", e)
	}
	n := 0
	for _, v := range vec {
		if v&1 == 0 {
			n++
		}
	}
	return n, nil
}

func TestIsContainerInit(t *testing.T) {
	if IsContainerInit(Cmdline()) {
		t.Fatal("the test binary is not a container init")
	}
	for arg, want := range map[string]string{"init": "true", "initx": "false", "-test.run=^$": "false"} {
		cmd := exec.Command(os.Args[0], arg)
		cmd.Env = append(os.Environ(), "PREFAULT_TEST_HELPER=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helper with %q: %v", arg, err)
		}
		if string(out) != want {
			t.Errorf("argv[1] %q: IsContainerInit = %s, want %s", arg, out, want)
		}
	}
}
