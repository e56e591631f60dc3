package monitor

import (
	"encoding/json"
	"time"

	"berth/engine/events"
	"berth/engine/health"
)

// Warm fills encoding/json's per-type caches for what a monitor reads and
// writes on a container's first start — its Config (decoded), its State and
// the events (encoded) — so that a spare monitor, which runs it while it
// waits for its config, does not pay for the reflection over these types
// between its handover and the container's start.
func Warm() {
	cfg := Config{
		Labels:   map[string]string{"": ""},
		Proxies:  []Proxy{{}},
		DNS:      &DNS{Files: []string{""}},
		Health:   &health.Check{},
		Networks: []NetworkRef{{}},
	}
	if b, err := json.Marshal(&cfg); err == nil {
		var back Config
		_ = json.Unmarshal(b, &back)
	}
	st := State{StartedAt: time.Now()}
	if b, err := json.Marshal(&st); err == nil {
		var back State
		_ = json.Unmarshal(b, &back)
	}
	_, _ = json.Marshal(&events.Event{Attributes: map[string]string{"": ""}})
}
