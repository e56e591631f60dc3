package server

import (
	"testing"

	"berth/engine"
)

// TestContainerFilterLabelsAllMatch: several label filters must all match
// (docker-compose lists a project's containers with project=P and
// oneoff=False at once); several values of another key are alternatives.
func TestContainerFilterLabelsAllMatch(t *testing.T) {
	web := &engine.Container{ID: "aaaa", Name: "/web", Config: engine.Config{Labels: map[string]string{"project": "p", "oneoff": "False"}},
		State: engine.State{Status: "running"}}
	run := &engine.Container{ID: "bbbb", Name: "/run1", Config: engine.Config{Labels: map[string]string{"project": "p", "oneoff": "True"}},
		State: engine.State{Status: "exited"}}
	cases := []struct {
		args map[string][]string
		want []bool // web, run
	}{
		{map[string][]string{"label": {"project=p"}}, []bool{true, true}},
		{map[string][]string{"label": {"project=p", "oneoff=False"}}, []bool{true, false}},
		{map[string][]string{"label": {"project=p", "missing"}}, []bool{false, false}},
		{map[string][]string{"status": {"running", "exited"}}, []bool{true, true}},
		{map[string][]string{"name": {"web", "nothing"}}, []bool{true, false}},
	}
	for _, c := range cases {
		f := &containerFilter{args: c.args, ancestors: map[string]bool{}}
		for i, ctr := range []*engine.Container{web, run} {
			if got := f.match(ctr); got != c.want[i] {
				t.Errorf("%v on %s: %v, want %v", c.args, ctr.Name, got, c.want[i])
			}
		}
	}
}
