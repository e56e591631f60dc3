package engine

import (
	"reflect"
	"testing"
	"time"

	"berth/engine/health"
)

// TestOverlayConfig: a commit's config body over the container's, as
// dockerd's commit merges them.
func TestOverlayConfig(t *testing.T) {
	base := Config{User: "app", WorkingDir: "/w", Env: []string{"A=1", "B=2"}, Cmd: []string{"run"},
		Entrypoint: []string{"/entry"}, Labels: map[string]string{"k": "base", "only": "base"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}}, StopSignal: "SIGTERM",
		Healthcheck: &health.Config{Test: []string{"CMD", "old"}, Interval: time.Second, Retries: 3}}
	for _, tc := range []struct {
		name  string
		u     *Config
		check func(c Config) bool
	}{
		{"nil keeps all", nil, func(c Config) bool { return reflect.DeepEqual(c, base) }},
		{"empty keeps all", &Config{}, func(c Config) bool { return reflect.DeepEqual(c, base) }},
		{"cmd replaces, entrypoint stays", &Config{Cmd: []string{"other"}}, func(c Config) bool {
			return reflect.DeepEqual(c.Cmd, []string{"other"}) && reflect.DeepEqual(c.Entrypoint, []string{"/entry"})
		}},
		{"entrypoint drops the command", &Config{Entrypoint: []string{"/new"}}, func(c Config) bool {
			return reflect.DeepEqual(c.Entrypoint, []string{"/new"}) && c.Cmd == nil
		}},
		{"env and labels add", &Config{Env: []string{"B=9", "C=3"}, Labels: map[string]string{"k": "user"}}, func(c Config) bool {
			return reflect.DeepEqual(c.Env, []string{"A=1", "B=9", "C=3"}) && c.Labels["k"] == "user" && c.Labels["only"] == "base" &&
				base.Labels["k"] == "base" // the container's map is not changed
		}},
		{"ports add", &Config{ExposedPorts: map[string]struct{}{"81/tcp": {}}}, func(c Config) bool { return len(c.ExposedPorts) == 2 }},
		{"strings replace", &Config{User: "root", StopSignal: "SIGINT"}, func(c Config) bool {
			return c.User == "root" && c.StopSignal == "SIGINT" && c.WorkingDir == "/w"
		}},
		{"health fields fill from the container's", &Config{Healthcheck: &health.Config{Test: []string{"CMD", "new"}}}, func(c Config) bool {
			h := c.Healthcheck
			return reflect.DeepEqual(h.Test, []string{"CMD", "new"}) && h.Interval == time.Second && h.Retries == 3 &&
				reflect.DeepEqual(base.Healthcheck.Test, []string{"CMD", "old"})
		}},
	} {
		if got := overlayConfig(base, tc.u); !tc.check(got) {
			t.Errorf("%s: %+v", tc.name, got)
		}
	}
}
