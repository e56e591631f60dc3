package engine

import (
	"path/filepath"

	"berth/engine/health"
	"berth/engine/monitor"
	"berth/images"
)

// healthPath is where the monitor of container id publishes its health.
func (e *Engine) healthPath(id string) string {
	return filepath.Join(e.containerDir(id), health.FileName)
}

// health reads the health a container's monitor published (nil for a
// container that never ran a check). It reads a file the monitor replaces
// whole, so it takes no lock; a container that never started has none, as
// in Docker. A file that cannot be read shows no health rather than hiding
// the container from every list.
func (e *Engine) health(id string, st *monitor.State) *health.State {
	if st.StartedAt.IsZero() {
		return nil
	}
	h, err := health.Read(e.healthPath(id))
	if err != nil {
		return nil
	}
	return h
}

// imageHealth is an image's HEALTHCHECK in the engine's terms: its
// config's, with the start interval that go-containerregistry's config has
// no field for taken from the config's extension.
func imageHealth(img *images.Image) *health.Config {
	h := img.Config.Config.Healthcheck
	if h == nil {
		return nil
	}
	return &health.Config{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
		StartPeriod: h.StartPeriod, StartInterval: img.Ext.HealthStartInterval, Retries: h.Retries}
}
