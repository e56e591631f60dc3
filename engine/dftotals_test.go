package engine_test

import (
	"testing"

	"berth/engine"
	"berth/images"
)

// TestDiskTotals: system df's lines, computed once for the CLI and the
// API: images count their layers once and an unused image frees its
// unshared part; running and paused containers are active; a volume in use
// is active; build cache in use is active, and only unshared idle cache is
// reclaimable.
func TestDiskTotals(t *testing.T) {
	du := &engine.DiskUsage{
		LayersSize: 150,
		Images: []engine.ImageUsage{
			{ID: "a", Size: 100, SharedSize: 50, Containers: 2},
			{ID: "b", Size: 100, SharedSize: 50},
		},
		Containers: []engine.ContainerUsage{
			{ID: "1", Status: "running", Running: true, Size: 5},
			{ID: "2", Status: "paused", Running: true, Size: 7},
			{ID: "3", Status: "exited", Size: 11},
			{ID: "4", Status: "restarting", Running: true, Size: 13},
		},
		Volumes: []engine.VolumeUsage{{Name: "v", Size: 3, Links: 1}, {Name: "w", Size: 4}},
		BuildCache: []images.CacheEntry{
			{ID: "x", Size: 10, InUse: true}, {ID: "y", Size: 20, Shared: true}, {ID: "z", Size: 40},
		},
	}
	got := du.Totals()
	want := engine.DiskTotals{
		Images:     engine.UsageTotals{Count: 2, Active: 1, Size: 150, Reclaimable: 50},
		Containers: engine.UsageTotals{Count: 4, Active: 2, Size: 36, Reclaimable: 24},
		Volumes:    engine.UsageTotals{Count: 2, Active: 1, Size: 7, Reclaimable: 4},
		BuildCache: engine.UsageTotals{Count: 3, Active: 1, Size: 70, Reclaimable: 40},
	}
	if got != want {
		t.Errorf("totals:\n got %+v\nwant %+v", got, want)
	}
	if (&engine.DiskUsage{}).Totals() != (engine.DiskTotals{}) {
		t.Error("an empty engine has totals")
	}
}
