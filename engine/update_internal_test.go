package engine

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/monitor"
	"berth/engine/spec"
)

func ptr[T any](v T) *T { return &v }

func TestApplyUpdate(t *testing.T) {
	h := spec.Host{OnlineCPUs: 2, SwapAccount: true}
	base := HostConfig{Resources: spec.Resources{Memory: 64 << 20}}
	tests := []struct {
		name string
		cur  HostConfig
		o    UpdateOptions
		want func(HostConfig) bool
		err  string
	}{
		{"memory", base, UpdateOptions{Memory: ptr(int64(128 << 20))}, func(h HostConfig) bool { return h.Memory == 128<<20 }, ""},
		{"memory above explicit swap", HostConfig{Resources: spec.Resources{Memory: 64 << 20, MemorySwap: 100 << 20}},
			UpdateOptions{Memory: ptr(int64(128 << 20))}, nil, "smaller than already set memoryswap"},
		{"memory and swap together", HostConfig{Resources: spec.Resources{Memory: 64 << 20, MemorySwap: 100 << 20}},
			UpdateOptions{Memory: ptr(int64(128 << 20)), MemorySwap: ptr(int64(-1))}, func(h HostConfig) bool { return h.MemorySwap == -1 }, ""},
		{"too little memory", base, UpdateOptions{Memory: ptr(int64(1024))}, nil, "minimum allowed is 6MB"},
		{"pids unlimited", HostConfig{Resources: spec.Resources{PidsLimit: ptr(int64(9))}}, UpdateOptions{PidsLimit: ptr(int64(-1))},
			func(h HostConfig) bool { return h.PidsLimit == nil }, ""},
		{"cpus", base, UpdateOptions{NanoCPUs: ptr(int64(5e8)), CPUShares: ptr(int64(512)), CpusetCpus: ptr("1")},
			func(h HostConfig) bool {
				return h.NanoCPUs == 5e8 && h.CPUShares == 512 && h.CpusetCpus == "1" && h.Memory == 64<<20
			}, ""},
		{"too many cpus", base, UpdateOptions{NanoCPUs: ptr(int64(3e9))}, nil, "range of CPUs"},
		{"restart", base, UpdateOptions{Restart: &monitor.RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}},
			func(h HostConfig) bool { return h.RestartPolicy.MaximumRetryCount == 2 }, ""},
		{"restart of --rm", HostConfig{AutoRemove: true}, UpdateOptions{Restart: &monitor.RestartPolicy{Name: "always"}}, nil, "AutoRemove is enabled"},
		{"restart no of --rm", HostConfig{AutoRemove: true}, UpdateOptions{Restart: &monitor.RestartPolicy{Name: "no"}},
			func(h HostConfig) bool { return h.RestartPolicy.Name == "no" }, ""},
	}
	for _, tt := range tests {
		got, err := applyUpdate(tt.cur, tt.o, h)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
		case tt.err == "" && (err != nil || !tt.want(got)):
			t.Errorf("%s: %+v %v", tt.name, got.Resources, err)
		}
	}
}

func TestCgroupLimitsPicksWhatChanged(t *testing.T) {
	r := spec.Resources{Memory: 64 << 20, NanoCPUs: 5e8, CPUShares: 512, CpusetCpus: "0", PidsLimit: ptr(int64(50))}
	lr, err := spec.LinuxResources(r, spec.Host{OnlineCPUs: 2, SwapAccount: true})
	if err != nil {
		t.Fatal(err)
	}
	l := cgroupLimits(lr, r, UpdateOptions{Memory: ptr(r.Memory)})
	if l.Memory == nil || *l.Memory != 64<<20 || l.MemorySwap == nil || *l.MemorySwap != 128<<20 || l.CPUQuota != nil || l.PidsLimit != nil {
		t.Errorf("memory only: %+v", l)
	}
	l = cgroupLimits(lr, r, UpdateOptions{NanoCPUs: ptr(r.NanoCPUs), PidsLimit: ptr(int64(50))})
	if l.Memory != nil || *l.CPUQuota != 50000 || *l.CPUPeriod != 100000 || *l.PidsLimit != 50 {
		t.Errorf("cpus and pids: %+v", l)
	}
	l = cgroupLimits(&specs.LinuxResources{}, spec.Resources{}, UpdateOptions{PidsLimit: ptr(int64(-1)), CpusetCpus: ptr("")})
	if *l.PidsLimit != -1 || l.CpusetCpus == nil || *l.CpusetCpus != "" {
		t.Errorf("unlimited pids: %+v", l)
	}
}
