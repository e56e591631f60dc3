package spec

import (
	"testing"

	"github.com/containerd/errdefs"
)

// TestSoftLimits: --memory-reservation, --cpu-period and --cpu-quota are
// checked in dockerd's words and become the OCI memory reservation and CFS
// quota and period; --cpus still sets both CFS figures itself.
func TestSoftLimits(t *testing.T) {
	h := Host{OnlineCPUs: 2}
	mb := int64(1 << 20)
	for _, tc := range []struct {
		name   string
		r      Resources
		err    string
		resv   int64
		quota  int64
		period uint64
		noCPU  bool
	}{
		{name: "reservation", r: Resources{MemoryReservation: 16 * mb}, resv: 16 * mb, noCPU: true},
		{name: "reservation under the limit", r: Resources{Memory: 32 * mb, MemoryReservation: 16 * mb}, resv: 16 * mb, noCPU: true},
		{name: "reservation over the limit", r: Resources{Memory: 16 * mb, MemoryReservation: 32 * mb},
			err: "Minimum memory limit can not be less than memory reservation limit, see usage"},
		{name: "tiny reservation", r: Resources{MemoryReservation: mb}, err: "Minimum memory reservation allowed is 6MB"},
		{name: "quota and period", r: Resources{CPUQuota: 25000, CPUPeriod: 50000}, quota: 25000, period: 50000},
		{name: "quota alone", r: Resources{CPUQuota: 50000}, quota: 50000},
		{name: "unlimited quota", r: Resources{CPUQuota: -1}, quota: -1},
		{name: "cpus", r: Resources{NanoCPUs: 5e8}, quota: 50000, period: 100000},
		{name: "cpus and period", r: Resources{NanoCPUs: 5e8, CPUPeriod: 50000},
			err: "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
		{name: "cpus and quota", r: Resources{NanoCPUs: 5e8, CPUQuota: 50000},
			err: "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
		{name: "short period", r: Resources{CPUPeriod: 999},
			err: "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{name: "long period", r: Resources{CPUPeriod: 1000001},
			err: "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{name: "short quota", r: Resources{CPUQuota: 999}, err: "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
		{name: "negative quota", r: Resources{CPUQuota: -2}, err: "invalid --cpu-quota -2: -1 (unlimited) or at least 1000"},
	} {
		lr, err := LinuxResources(tc.r, h)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errdefs.IsInvalidArgument(err) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tc.resv != 0 && (lr.Memory == nil || lr.Memory.Reservation == nil || *lr.Memory.Reservation != tc.resv) {
			t.Errorf("%s: memory %+v, want reservation %d", tc.name, lr.Memory, tc.resv)
		}
		if tc.noCPU {
			if lr.CPU != nil {
				t.Errorf("%s: CPU %+v, want none", tc.name, lr.CPU)
			}
			continue
		}
		c := lr.CPU
		if c == nil || c.Quota == nil || *c.Quota != tc.quota || (tc.period == 0) != (c.Period == nil) || c.Period != nil && *c.Period != tc.period {
			t.Errorf("%s: CPU %+v, want quota %d period %d", tc.name, c, tc.quota, tc.period)
		}
	}
}
