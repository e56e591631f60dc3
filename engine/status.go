package engine

import (
	"fmt"
	"time"

	"github.com/docker/go-units"
)

// StatusText is docker ps's STATUS column: "Up 3 minutes", "Up 2 hours
// (Paused)", "Up 5 seconds (health: starting)", "Up 1 minute (healthy)", "Exited (137) 5 seconds ago", "Restarting (1) 2 seconds ago", "Created",
// "Removal In Progress".
func (c *Container) StatusText(now time.Time) string {
	s := c.State
	started, finished := c.StartedTime(), c.FinishedTime()
	switch {
	case s.Restarting:
		return fmt.Sprintf("Restarting (%d) %s ago", s.ExitCode, units.HumanDuration(now.Sub(finished)))
	case s.Paused:
		return "Up " + units.HumanDuration(now.Sub(started)) + " (Paused)"
	case s.Running && s.Health != nil:
		return "Up " + units.HumanDuration(now.Sub(started)) + " (" + s.Health.Summary() + ")"
	case s.Running:
		return "Up " + units.HumanDuration(now.Sub(started))
	case s.Status == StatusRemoving:
		return "Removal In Progress"
	case s.Status == "exited" && !finished.IsZero():
		return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, units.HumanDuration(now.Sub(finished)))
	case s.Dead:
		return "Dead"
	}
	return "Created"
}
