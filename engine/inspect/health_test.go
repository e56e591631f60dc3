package inspect

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"berth/engine/health"
)

// TestHealthShape checks State.Health and Config.Healthcheck in Docker's
// JSON shape (durations as nanoseconds, Log oldest first), and their absence
// for a container without a check.
func TestHealthShape(t *testing.T) {
	c := sample()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c.State.Health = &health.State{Status: health.Unhealthy, FailingStreak: 3,
		Log: []*health.Result{{Start: at, End: at.Add(time.Second), ExitCode: -1, Output: "Health check exceeded timeout (1s)"}}}
	c.Config.Healthcheck = &health.Config{Test: []string{"CMD-SHELL", "exit 1"}, Interval: 5 * time.Second, Retries: 3}
	c.Config.Shell = []string{"/bin/ash", "-c"}
	b, err := json.Marshal(ContainerOf(c))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"Health":{"Status":"unhealthy","FailingStreak":3,"Log":[{"Start":"2026-01-02T03:04:05Z","End":"2026-01-02T03:04:06Z","ExitCode":-1,"Output":"Health check exceeded timeout (1s)"}]}`,
		`"Healthcheck":{"Test":["CMD-SHELL","exit 1"],"Interval":5000000000,"Retries":3}`,
		`"Shell":["/bin/ash","-c"]`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("inspect JSON lacks %s", want)
		}
	}
	b, err = json.Marshal(ContainerOf(sample()))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, `"Health"`) || strings.Contains(s, `"Healthcheck"`) || strings.Contains(s, `"Shell"`) {
		t.Errorf("health fields without a check: %s", s)
	}
}
