package prefault

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

func TestForEachMapping(t *testing.T) {
	tests := []struct {
		name string
		maps string
		want string
	}{
		{"empty", "", ""},
		{"one line no newline", "00400000-00403000 r--p 00000000 fd:01 42 /bin/x", "400000-403000"},
		{"two lines", "00400000-00403000 r--p 0 0 0 /x\n7ffd1000-7ffd3000 rw-p 0 0 0 [stack]\n", "400000-403000 7ffd1000-7ffd3000"},
		{"garbage skipped", "zz\n1000-800 bad\n-\n2000-3000 x\n", "2000-3000"},
		{"uppercase is not hex", "A000-B000 x\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			forEachMapping([]byte(tc.maps), func(lo, hi uintptr) { got = append(got, fmt.Sprintf("%x-%x", lo, hi)) })
			if s := strings.Join(got, " "); s != tc.want {
				t.Fatalf("got %q, want %q", s, tc.want)
			}
		})
	}
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
		if i := argIndex(args, arg); i < -1 || i > len(args) {
			t.Fatalf("argIndex = %d for %d bytes", i, len(args))
		}
	})
}

func FuzzForEachMapping(f *testing.F) {
	f.Add([]byte("00400000-00403000 r--p 00000000 fd:01 42 /bin/x\n"))
	f.Add([]byte("ffffffffff600000-ffffffffff601000 --xp 0 0 0 [vsyscall]"))
	f.Add([]byte("\n\n-\n0-0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		forEachMapping(b, func(lo, hi uintptr) {
			if hi <= lo {
				t.Fatalf("empty mapping %x-%x reported", lo, hi)
			}
		})
	})
}

// TestMapMapsTheHeapIn checks with mincore(2) that after Map every page of
// the budget's part of the heap's mapping that holds a fresh object is
// resident.
func TestMapMapsTheHeapIn(t *testing.T) {
	Map(Process())
	heap := uintptr(unsafe.Pointer(probe))
	forEachMapping(readMaps(), func(lo, hi uintptr) {
		if lo <= heap && heap < hi {
			lo = heap &^ (pageBytes - 1)
			hi = min(hi, lo+Process().Heap)
			if n := absent(t, lo, hi); n > 0 {
				t.Fatalf("%d of %d pages of the heap chunk %x-%x are not resident", n, (hi-lo)/4096, lo, hi)
			}
		}
	})
}

// absent counts the pages of [lo, hi) that mincore reports not resident.
func absent(t *testing.T, lo, hi uintptr) int {
	t.Helper()
	vec := make([]byte, (hi-lo+4095)/4096)
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
	if os.Getenv("PREFAULT_TEST_HELPER") == "1" {
		fmt.Print(IsContainerInit())
		os.Exit(0)
	}
	if IsContainerInit() {
		t.Fatal("the test binary is not a container init")
	}
	for arg, want := range map[string]string{"init": "true", "initx": "false", "-test.run=^TestIsContainerInit$": "false"} {
		cmd := exec.Command(os.Args[0], arg)
		cmd.Env = append(os.Environ(), "PREFAULT_TEST_HELPER=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helper with %q: %v", arg, err)
		}
		if string(out) != want {
			t.Errorf("argv[1] %q: IsContainerInit() = %s, want %s", arg, out, want)
		}
	}
}
