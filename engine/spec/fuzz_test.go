package spec

import (
	"strconv"
	"strings"
	"testing"

	"berth/testdata/fuzzcheck"
)

// FuzzValidateResources: limits from --memory, --memory-swap, --cpus,
// --cpu-shares and --cpuset-cpus are accepted only within the host's bounds
// (every CPU of the set online), and refused with one plain sentence.
func FuzzValidateResources(f *testing.F) {
	f.Add("0-1", int64(64<<20), int64(128<<20), int64(5e8), int64(512))
	f.Add("0,1", int64(0), int64(-1), int64(0), int64(0))
	f.Add("1-0", int64(1), int64(0), int64(-1), int64(-1))
	f.Add("0-99999999999999999999", int64(6<<20), int64(1), int64(3e9), int64(0))
	f.Add(",", int64(0), int64(0), int64(1), int64(0))
	h := Host{OnlineCPUs: 2, SwapAccount: true}
	f.Fuzz(func(t *testing.T, cpuset string, mem, swap, nano, shares int64) {
		r := Resources{CpusetCpus: cpuset, Memory: mem, MemorySwap: swap, NanoCPUs: nano, CPUShares: shares}
		err := ValidateResources(r, h)
		if err != nil {
			fuzzcheck.Check(t, err, cpuset)
			return
		}
		if mem < 0 || (mem > 0 && mem < 6<<20) || swap < -1 || (swap > 0 && swap < mem) || nano < 0 || nano > 2e9 || shares < 0 {
			t.Fatalf("accepted %+v", r)
		}
		if cpuset == "" {
			return
		}
		for _, part := range strings.Split(cpuset, ",") {
			for _, n := range strings.SplitN(part, "-", 2) {
				if c, err := strconv.Atoi(n); err != nil || c < 0 || c >= h.OnlineCPUs {
					t.Fatalf("cpuset %q accepted with CPU %q on a 2-CPU host", cpuset, n)
				}
			}
		}
	})
}

// FuzzParseUlimitError: a refused --ulimit says why in one plain sentence.
func FuzzParseUlimitError(f *testing.F) {
	for _, s := range []string{"nofile=1024:2048", "nofile=2:1", "bogus=1", "nofile", "nofile=x", "=", "nproc=-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := ParseUlimit(s); err != nil {
			fuzzcheck.Check(t, err, s)
		}
	})
}
