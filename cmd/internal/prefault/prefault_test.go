package prefault

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
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
// the budget's part of the heap above a fresh object is resident.
func TestMapMapsTheHeapIn(t *testing.T) {
	requirePopulate(t)
	Map(Process())
	heap := uintptr(unsafe.Pointer(heapObject()))
	page := uintptr(syscall.Getpagesize())
	found := false
	forEachMapping(readMaps(), func(lo, hi uintptr) {
		if lo <= heap && heap < hi {
			found = true
			lo = heap &^ (page - 1)
			hi = min(hi, lo+Process().Heap/2) // the object may be newer than Map's
			if n := absent(t, lo, hi); n > 0 {
				t.Fatalf("%d of %d pages of the heap at %x-%x are not resident", n, (hi-lo)/page, lo, hi)
			}
		}
	})
	if !found {
		t.Fatal("no mapping holds the heap object")
	}
}

// absent counts the pages of [lo, hi) that mincore reports not resident.
func absent(t *testing.T, lo, hi uintptr) int {
	t.Helper()
	page := uintptr(syscall.Getpagesize())
	vec := make([]byte, (hi-lo+page-1)/page)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, lo, hi-lo, uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatalf("mincore: %v", e)
	}
	n := 0
	for _, v := range vec {
		if v&1 == 0 {
			n++
		}
	}
	return n
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
