package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEventsDockerShape: events --format json and templates see Docker's
// message (Type, Action, Actor, scope, time, timeNano and the legacy
// status/id/from), and --filter still selects.
func TestEventsDockerShape(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("create", "--name", "evshape", "-l", "tier=front", "busybox", "true"))
	c.ok("rm", "evshape")
	lines := strings.Split(strings.TrimSpace(c.ok("events", "--since", "1h", "--until", "0s",
		"--filter", "container=evshape", "--filter", "event=create", "--format", "json")), "\n")
	if len(lines) != 1 {
		t.Fatalf("events --filter container=evshape --filter event=create: %d lines: %q", len(lines), lines)
	}
	// docker system events is the same verb.
	if sys := strings.Split(strings.TrimSpace(c.ok("system", "events", "--since", "1h", "--until", "0s",
		"--filter", "container=evshape", "--filter", "event=create", "--format", "json")), "\n"); len(sys) != 1 || sys[0] != lines[0] {
		t.Errorf("system events: %q, want %q", sys, lines)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("events --format json: %v: %s", err, lines[0])
	}
	for k, want := range map[string]any{"Type": "container", "Action": "create", "scope": "local",
		"status": "create", "id": id, "from": "busybox"} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v (%s)", k, m[k], want, lines[0])
		}
	}
	actor, _ := m["Actor"].(map[string]any)
	attrs, _ := actor["Attributes"].(map[string]any)
	if actor["ID"] != id || attrs["name"] != "evshape" || attrs["image"] != "busybox" || attrs["tier"] != "front" {
		t.Errorf("Actor = %v", m["Actor"])
	}
	tm, _ := m["time"].(float64)
	tn, _ := m["timeNano"].(float64)
	if tm <= 0 || int64(tn/1e9) != int64(tm) {
		t.Errorf("time %v and timeNano %v disagree", m["time"], m["timeNano"])
	}
	got := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "container=evshape",
		"--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Status}} {{.From}} {{.Scope}} {{eq .ID .Actor.ID}}")
	want := "container create evshape create busybox local true\ncontainer destroy evshape destroy busybox local true\n"
	if got != want {
		t.Errorf("events --format template:\n%q\nwant\n%q", got, want)
	}
}
