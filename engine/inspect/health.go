package inspect

import (
	"github.com/moby/moby/api/types/container"

	"berth/engine/health"
)

// healthState is a container's State.Health in moby's types.
func healthState(h *health.State) *container.Health {
	if h == nil {
		return nil
	}
	out := &container.Health{Status: container.HealthStatus(h.Status), FailingStreak: h.FailingStreak,
		Log: make([]*container.HealthcheckResult, 0, len(h.Log))}
	for _, r := range h.Log {
		out.Log = append(out.Log, &container.HealthcheckResult{Start: r.Start, End: r.End, ExitCode: r.ExitCode, Output: r.Output})
	}
	return out
}

// healthConfig is a container's Config.Healthcheck in moby's types.
func healthConfig(c *health.Config) *container.HealthConfig {
	if c == nil {
		return nil
	}
	return &container.HealthConfig{Test: c.Test, Interval: c.Interval, Timeout: c.Timeout,
		StartPeriod: c.StartPeriod, StartInterval: c.StartInterval, Retries: c.Retries}
}
