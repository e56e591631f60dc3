package stats

import (
	"errors"
	"testing"

	"github.com/containerd/errdefs"
)

const hostProcStat = "cpu  100 5 50 800 20 0 10 0 0 0\ncpu0 50 2 25 400 10 0 5 0 0 0\n"
const hostMeminfo = "MemTotal:        8000000 kB\nMemFree:         1000000 kB\nMemAvailable:    6000000 kB\n"

func TestParseHost(t *testing.T) {
	h, err := parseHost([]byte(hostProcStat), []byte(hostMeminfo))
	if err != nil {
		t.Fatal(err)
	}
	if h.Total != 985 || h.Busy != 165 || h.MemTotal != 8000000*1024 || h.MemAvailable != 6000000*1024 {
		t.Errorf("parsed %+v", h)
	}
	next := HostSample{Busy: h.Busy + 50, Total: h.Total + 100}
	if got := HostCPUPercent(h, next); got != 50 {
		t.Errorf("cpu %% %v, want 50", got)
	}
	for _, bad := range [][2]string{{"", hostMeminfo}, {"intr 1 2 3\n", hostMeminfo}, {"cpu a b c d e\n", hostMeminfo}, {hostProcStat, "nothing"}} {
		if _, err := parseHost([]byte(bad[0]), []byte(bad[1])); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("parseHost(%q, %q) = %v, want invalid argument", bad[0], bad[1], err)
		}
	}
}

func FuzzParseHost(f *testing.F) {
	f.Add([]byte(hostProcStat), []byte(hostMeminfo))
	f.Add([]byte("cpu 1 2 3 4\n"), []byte("MemTotal: 1 kB"))
	f.Add([]byte("cpu 18446744073709551615 1 1 1 1 1 1 1\n"), []byte("MemTotal: 99999999999999999999 kB\n"))
	f.Fuzz(func(t *testing.T, stat, mem []byte) {
		h, err := parseHost(stat, mem)
		if err == nil && h.MemTotal == 0 {
			t.Errorf("accepted without MemTotal: %+v", h)
		}
	})
}
