package stats

import (
	"math"
	"testing"
	"time"
)

func TestCompute(t *testing.T) {
	base := Sample{ID: "c", CPUUsageNS: 1e9, SystemUsageNS: 100e9, OnlineCPUs: 2}
	tests := []struct {
		name    string
		prev    Sample
		cur     Sample
		wantCPU float64
		wantMem float64
	}{
		{"first sample has no CPU", Sample{}, base, 0, 0},
		{"one full core of two", base,
			Sample{CPUUsageNS: 2e9, SystemUsageNS: 102e9, OnlineCPUs: 2}, 100, 0},
		{"half a core", base,
			Sample{CPUUsageNS: 1.5e9, SystemUsageNS: 102e9, OnlineCPUs: 2}, 50, 0},
		{"both cores of four", base,
			Sample{CPUUsageNS: 3e9, SystemUsageNS: 102e9, OnlineCPUs: 4}, 400, 0},
		{"idle", base, Sample{CPUUsageNS: 1e9, SystemUsageNS: 102e9, OnlineCPUs: 2}, 0, 0},
		{"no system delta", base, Sample{CPUUsageNS: 2e9, SystemUsageNS: 100e9, OnlineCPUs: 2}, 0, 0},
		{"counter reset (restarted container)", base,
			Sample{CPUUsageNS: 1e6, SystemUsageNS: 102e9, OnlineCPUs: 2}, 0, 0},
		{"stopped container reads zero", base, Sample{}, 0, 0},
		{"after a zero sample", Sample{ID: "c"},
			Sample{CPUUsageNS: 5e9, SystemUsageNS: 110e9, OnlineCPUs: 2}, 0, 0},
		{"memory quarter", Sample{}, Sample{MemUsage: 256 << 20, MemLimit: 1 << 30}, 0, 25},
		{"memory without limit", Sample{}, Sample{MemUsage: 256 << 20}, 0, 0},
		{"stale percentages are replaced", base,
			Sample{CPUUsageNS: 1e9, SystemUsageNS: 101e9, OnlineCPUs: 2, CPUPercent: 77, MemPercent: 12}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.prev, tt.cur)
			if math.Abs(got.CPUPercent-tt.wantCPU) > 1e-9 || math.Abs(got.MemPercent-tt.wantMem) > 1e-9 {
				t.Fatalf("Compute = cpu %v mem %v, want cpu %v mem %v", got.CPUPercent, got.MemPercent, tt.wantCPU, tt.wantMem)
			}
			got.CPUPercent, got.MemPercent = tt.cur.CPUPercent, tt.cur.MemPercent
			if got != tt.cur {
				t.Fatalf("Compute changed counters: %+v, want %+v", got, tt.cur)
			}
		})
	}
}

func TestRing(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		pushes int
		want   []uint64 // PIDs of the samples held, oldest first
	}{
		{"empty", 3, 0, []uint64{}},
		{"partly filled", 3, 2, []uint64{1, 2}},
		{"exactly full", 3, 3, []uint64{1, 2, 3}},
		{"wrapped", 3, 7, []uint64{5, 6, 7}},
		{"size one", 1, 4, []uint64{4}},
		{"size zero acts as one", 0, 2, []uint64{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRing(tt.size)
			capBefore := r.Cap()
			for i := 1; i <= tt.pushes; i++ {
				r.Push(Sample{PIDs: uint64(i), Time: time.Unix(int64(i), 0)})
			}
			got := r.Slice()
			if r.Len() != len(tt.want) || len(got) != len(tt.want) {
				t.Fatalf("Len %d, Slice %d samples, want %d", r.Len(), len(got), len(tt.want))
			}
			for i, s := range got {
				if s.PIDs != tt.want[i] {
					t.Fatalf("Slice[%d].PIDs = %d, want %d (all %v)", i, s.PIDs, tt.want[i], got)
				}
			}
			if r.Cap() != capBefore {
				t.Fatalf("ring grew from %d to %d", capBefore, r.Cap())
			}
			if len(got) > 0 {
				got[0].PIDs = 999
				if r.Slice()[0].PIDs == 999 {
					t.Fatal("Slice returned the ring's own storage")
				}
			}
		})
	}
}
