package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"berth/engine/health"
)

// waitOut runs berth with args until its output satisfies ok (generous
// deadline; nothing here asserts how long a check takes).
func (c *cli) waitOut(what string, ok func(string) bool, args ...string) string {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out := c.ok(args...)
		if ok(out) {
			return out
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("berth %s: no %s after 60s: %q", strings.Join(args, " "), what, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestHealthCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "ok", "--health-cmd", "echo fine", "--health-interval", "100ms", "busybox", "sleep", "1000")
	c.ok("run", "-d", "--name", "sick", "--health-cmd", "exit 1", "--health-interval", "100ms", "--health-retries", "2",
		"busybox", "sleep", "1000")
	c.ok("run", "-d", "--name", "early", "--health-cmd", "exit 1", "--health-interval", "10m",
		"--health-start-period", "1h", "--health-start-interval", "100ms", "busybox", "sleep", "1000")
	c.ok("run", "-d", "--name", "plain", "busybox", "sleep", "1000")

	status := func(name string) string {
		return strings.TrimSpace(c.ok("ps", "--filter", "name="+name, "--format", "{{.Status}}"))
	}
	c.waitOut("healthy", func(s string) bool { return s == "healthy\n" }, "inspect", "-f", "{{.State.Health.Status}}", "ok")
	c.waitOut("unhealthy", func(s string) bool { return s == "unhealthy\n" }, "inspect", "-f", "{{.State.Health.Status}}", "sick")
	c.waitOut("a failed check", func(s string) bool { return s != "0\n" }, "inspect", "-f", "{{len .State.Health.Log}}", "early")
	for name, want := range map[string]string{"ok": " (healthy)", "sick": " (unhealthy)", "early": " (health: starting)"} {
		if s := status(name); !strings.HasPrefix(s, "Up ") || !strings.HasSuffix(s, want) {
			t.Errorf("ps status of %s: %q, want Up … %s", name, s, want)
		}
	}
	if s := status("plain"); strings.Contains(s, "(") {
		t.Errorf("ps status without a check: %q", s)
	}
	if got := c.ok("inspect", "-f", "{{json .Config.Healthcheck}}", "sick"); got != `{"Test":["CMD-SHELL","exit 1"],"Interval":100000000,"Retries":2}`+"\n" {
		t.Errorf("Config.Healthcheck: %s", got)
	}
	if got := c.ok("inspect", "-f", "{{with index .State.Health.Log 0}}{{.ExitCode}} {{printf \"%q\" .Output}}{{end}}", "ok"); got != "0 \"fine\\n\"\n" {
		t.Errorf("first result: %s", got)
	}
	if got := c.ok("inspect", "-f", "{{.State.Health}}", "plain"); got != "<nil>\n" {
		t.Errorf("health without a check: %q", got)
	}
	for filter, want := range map[string]string{"healthy": "ok\n", "unhealthy": "sick\n", "starting": "early\n", "none": "plain\n"} {
		if got := c.ok("ps", "--filter", "health="+filter, "--format", "{{.Names}}"); got != want {
			t.Errorf("ps --filter health=%s: %q, want %q", filter, got, want)
		}
	}
	got := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "event=health_status", "--format", "{{.Actor.Attributes.name}} {{.Action}}")
	for _, want := range []string{"ok health_status: healthy\n", "sick health_status: unhealthy\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("events: %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "early") || strings.Contains(got, "plain") {
		t.Errorf("health events without a change of status: %q", got)
	}
	c.ok("rm", "-f", "ok", "sick", "early", "plain")
	c.wantClean()
}

func TestHealthFlagsBadInput(t *testing.T) {
	c := newCLI(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-healthcheck", "--health-cmd", "true"}, "--no-healthcheck conflicts with --health-* options"},
		{[]string{"--health-interval", "-1s"}, "--health-interval cannot be negative"},
		{[]string{"--health-timeout", "-1s"}, "--health-timeout cannot be negative"},
		{[]string{"--health-retries", "-2"}, "--health-retries cannot be negative"},
		{[]string{"--health-start-period", "-1s"}, "--health-start-period cannot be negative"},
		{[]string{"--health-start-interval", "-1s"}, "--health-start-interval cannot be negative"},
		{[]string{"--health-interval", "10us"}, "Interval in Healthcheck cannot be less than 1ms"},
		{[]string{"--health-timeout", "1ns"}, "Timeout in Healthcheck cannot be less than 1ms"},
		{[]string{"--health-interval", "soon"}, `invalid --health-interval "soon": not a duration`},
	} {
		for _, verb := range []string{"run", "create"} {
			c.fail("", tt.want, append(append([]string{verb}, tt.args...), "busybox", "true")...)
		}
	}
	c.fail("", "invalid filter 'health=sick'", "ps", "--filter", "health=sick")
	if ps := c.ok("ps", "-aq"); ps != "" {
		t.Errorf("bad flags left containers: %q", ps)
	}
}

func TestHealthFlagsConfig(t *testing.T) {
	tests := []struct {
		args []string
		want *health.Config
	}{
		{nil, nil},
		{[]string{"--no-healthcheck"}, &health.Config{Test: []string{"NONE"}}},
		{[]string{"--health-cmd", "curl -f localhost"}, &health.Config{Test: []string{"CMD-SHELL", "curl -f localhost"}}},
		{[]string{"--health-retries", "4"}, &health.Config{Retries: 4}}, // the image's test applies
		{[]string{"--health-cmd", "x", "--health-interval", "5s", "--health-timeout", "2s", "--health-start-period", "1m",
			"--health-start-interval", "1s", "--health-retries", "1"},
			&health.Config{Test: []string{"CMD-SHELL", "x"}, Interval: 5 * time.Second, Timeout: 2 * time.Second,
				StartPeriod: time.Minute, StartInterval: time.Second, Retries: 1}},
	}
	for _, tt := range tests {
		var f healthFlags
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		f.register(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		got, err := f.config()
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if (got == nil) != (tt.want == nil) || got != nil && (strings.Join(got.Test, "|") != strings.Join(tt.want.Test, "|") ||
			got.Interval != tt.want.Interval || got.Timeout != tt.want.Timeout || got.StartPeriod != tt.want.StartPeriod ||
			got.StartInterval != tt.want.StartInterval || got.Retries != tt.want.Retries) {
			t.Errorf("%v: %+v, want %+v", tt.args, got, tt.want)
		}
	}
}
