package containers

import (
	"strings"
	"testing"
	"time"

	"berth/engine"
	"berth/engine/health"
	"berth/views"
)

// TestHealthInStatusAndStateCell: the panel's STATUS column is the engine's
// StatusText, the one berth ps prints.
func TestHealthInStatusAndStateCell(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	started := now.Add(-2 * time.Minute).Format(time.RFC3339Nano)
	th := views.NewTheme(true)
	tests := []struct {
		name    string
		state   engine.State
		status  string
		markers int
	}{
		{"no check", engine.State{Status: "running", Running: true, StartedAt: started}, "Up 2 minutes", 0},
		{"starting", engine.State{Status: "running", Running: true, StartedAt: started,
			Health: &health.State{Status: health.Starting}}, "Up 2 minutes (health: starting)", 1},
		{"healthy", engine.State{Status: "running", Running: true, StartedAt: started,
			Health: &health.State{Status: health.Healthy}}, "Up 2 minutes (healthy)", 1},
		{"unhealthy", engine.State{Status: "running", Running: true, StartedAt: started,
			Health: &health.State{Status: health.Unhealthy}}, "Up 2 minutes (unhealthy)", 1},
		{"paused wins", engine.State{Status: "paused", Running: true, Paused: true, StartedAt: started,
			Health: &health.State{Status: health.Healthy}}, "Up 2 minutes (Paused)", 1},
		{"exited keeps no marker", engine.State{Status: "exited", StartedAt: started, FinishedAt: started,
			Health: &health.State{Status: health.Unhealthy}}, "Exited (0) 2 minutes ago", 0},
		// The panel said "Created" here; docker ps and berth ps say this.
		{"being removed", engine.State{Status: engine.StatusRemoving, StartedAt: started, FinishedAt: started}, "Removal In Progress", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := FromContainer(&engine.Container{ID: "x", Name: "/x", State: tt.state})
			m := New()
			if got := m.cells(th, r, now)[3]; got != tt.status {
				t.Errorf("STATUS cell = %q, want %q", got, tt.status)
			}
			if cell := StateCell(th, r); strings.Count(cell, "♥") != tt.markers {
				t.Errorf("StateCell = %q, want %d health markers", cell, tt.markers)
			}
		})
	}
}
