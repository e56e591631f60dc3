package apitest

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"berth/engine"
	"berth/engine/events"
	"berth/engine/logfile"
)

func errorCases() []Case {
	const missing = "apitest-no-such-container"
	return []Case{
		{"not-found", func(t *testing.T, s *Suite) {
			_, err := s.Inspect(ctx(t), missing)
			wantMissing(t, "inspect", err, missing)
			wantMissing(t, "start", s.Start(ctx(t), missing, engine.StartOptions{}), missing)
			wantMissing(t, "stop", s.Stop(ctx(t), missing, engine.StopOptions{}), missing)
			wantMissing(t, "kill", s.Kill(ctx(t), missing, "KILL"), missing)
			wantMissing(t, "remove", s.Remove(ctx(t), missing, engine.RemoveOptions{Force: true}), missing)
			_, err = s.Wait(ctx(t), missing)
			wantMissing(t, "wait", err, missing)
			_, err = s.Exec(ctx(t), missing, engine.ExecOptions{Cmd: []string{"true"}}, engine.IO{})
			wantMissing(t, "exec", err, missing)
			_, _, err = s.Logs(ctx(t), missing, logfile.ReadOptions{Tail: -1})
			wantMissing(t, "logs", err, missing)
		}},
		{"create-missing-image", func(t *testing.T, s *Suite) {
			_, err := s.Create(ctx(t), engine.CreateOptions{Name: s.Name("ctr"),
				Config: engine.Config{Image: "apitest-no-such-image:1", Cmd: []string{"true"}}})
			wantMissing(t, "create from a missing image", err, "apitest-no-such-image")
		}},
		{"create-duplicate-name", func(t *testing.T, s *Suite) {
			c := s.create(t, "true")
			_, err := s.Create(ctx(t), engine.CreateOptions{Name: c.Name[1:],
				Config: engine.Config{Image: "busybox", Cmd: []string{"true"}}})
			wantClass(t, "create with a taken name", err, conflict)
		}},
		{"create-invalid-name", func(t *testing.T, s *Suite) {
			_, err := s.Create(ctx(t), engine.CreateOptions{Name: "bad name!",
				Config: engine.Config{Image: "busybox", Cmd: []string{"true"}}})
			wantClass(t, "create with an invalid name", err, invalidArgument)
			all, err := s.ListContainers(ctx(t), engine.ContainerListOptions{All: true})
			ok(t, "list", err)
			for _, c := range all {
				if strings.Contains(c.Name, "bad name") {
					t.Fatalf("a refused create left container %s", c.Name)
				}
			}
		}},
		{"remove-running", func(t *testing.T, s *Suite) {
			c := s.started(t, "sleep", "300")
			wantClass(t, "remove a running container without force", s.Remove(ctx(t), c.ID, engine.RemoveOptions{}), conflict)
			ok(t, "remove with force", s.Remove(ctx(t), c.ID, engine.RemoveOptions{Force: true}))
		}},
		{"not-running", func(t *testing.T, s *Suite) {
			c := s.create(t, "true")
			wantClass(t, "kill a created container", s.Kill(ctx(t), c.ID, "KILL"), conflict)
			wantClass(t, "pause a created container", s.Pause(ctx(t), c.ID), conflict)
			_, err := s.Exec(ctx(t), c.ID, engine.ExecOptions{Cmd: []string{"true"}}, engine.IO{})
			wantClass(t, "exec in a created container", err, conflict)
		}},
	}
}

func streamCases() []Case {
	return []Case{
		{"exec", caseExec},
		{"attach", func(t *testing.T, s *Suite) {
			c := s.create(t, "sh", "-c", "echo to-out; echo to-err >&2; exit 7")
			ok(t, "start", s.Start(ctx(t), c.ID, engine.StartOptions{WaitAttach: true}))
			var out, errb bytes.Buffer
			code, err := s.Attach(ctx(t), c.ID, engine.AttachOptions{}, engine.IO{Stdout: &out, Stderr: &errb})
			ok(t, "attach", err)
			if code != 7 || out.String() != "to-out\n" || errb.String() != "to-err\n" {
				t.Fatalf("attach: code %d, stdout %q, stderr %q: want 7, to-out, to-err", code, out.String(), errb.String())
			}
		}},
		{"logs", caseLogs},
		{"events", caseEvents},
		{"stats", func(t *testing.T, s *Suite) {
			c := s.started(t, "sleep", "300")
			batches, errs, err := s.Stats(ctx(t), []string{c.ID}, engine.StatsOptions{})
			ok(t, "stats", err)
			var got [][]engine.StatsEntry
			for b := range batches {
				got = append(got, b)
			}
			ok(t, "stats stream", <-errs)
			if len(got) != 1 || len(got[0]) != 1 {
				t.Fatalf("stats without stream: %d batches: want one batch of one entry", len(got))
			}
			e := got[0][0]
			if e.ID != c.ID || e.Name != c.Name[1:] || !e.Running || e.Sample.Err != nil || e.Sample.PIDs < 1 || e.Sample.MemUsage == 0 {
				t.Fatalf("stats entry %+v: want the container, running, with its pids and memory", e)
			}
		}},
	}
}

// caseExec: output per stream, exit code, stdin.
func caseExec(t *testing.T, s *Suite) {
	c := s.started(t, "sleep", "300")
	var out, errb bytes.Buffer
	code, err := s.Exec(ctx(t), c.ID, engine.ExecOptions{Cmd: []string{"sh", "-c", "echo out; echo err >&2; exit 5"}},
		engine.IO{Stdout: &out, Stderr: &errb})
	ok(t, "exec", err)
	if code != 5 || out.String() != "out\n" || errb.String() != "err\n" {
		t.Fatalf("exec: code %d, stdout %q, stderr %q: want 5, out, err", code, out.String(), errb.String())
	}
	out.Reset()
	code, err = s.Exec(ctx(t), c.ID, engine.ExecOptions{Cmd: []string{"cat"}, Interactive: true},
		engine.IO{Stdin: strings.NewReader("from stdin\n"), Stdout: &out})
	ok(t, "exec -i", err)
	if code != 0 || out.String() != "from stdin\n" {
		t.Fatalf("exec -i cat: code %d, stdout %q: want 0 and the input", code, out.String())
	}
	out.Reset()
	code, err = s.Exec(ctx(t), c.ID, engine.ExecOptions{Cmd: []string{"pwd"}, WorkingDir: "/etc",
		Env: []string{"X=1"}}, engine.IO{Stdout: &out})
	ok(t, "exec -w", err)
	if code != 0 || out.String() != "/etc\n" {
		t.Fatalf("exec -w /etc pwd: code %d, stdout %q", code, out.String())
	}
	_, err = s.Exec(ctx(t), c.ID, engine.ExecOptions{}, engine.IO{})
	wantClass(t, "exec without a command", err, invalidArgument)
}

// caseLogs: every entry with its stream and time; tail.
func caseLogs(t *testing.T, s *Suite) {
	c := s.started(t, "sh", "-c", "echo one; echo two >&2; echo three")
	_, err := s.Wait(ctx(t), c.ID)
	ok(t, "wait", err)
	read := func(o logfile.ReadOptions) []logfile.Entry {
		t.Helper()
		entries, errs, err := s.Logs(ctx(t), c.ID, o)
		ok(t, "logs", err)
		var got []logfile.Entry
		for e := range entries {
			got = append(got, e)
		}
		ok(t, "logs stream", <-errs)
		return got
	}
	got := read(logfile.ReadOptions{Tail: -1})
	var lines []string
	for _, e := range got {
		lines = append(lines, e.Stream+":"+string(e.Line))
		if e.Time.IsZero() || e.Partial {
			t.Fatalf("log entry %+v: want a time and a whole line", e)
		}
	}
	stdout := slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return !strings.HasPrefix(l, "stdout:") })
	if len(lines) != 3 || !slices.Contains(lines, "stderr:two\n") || !slices.Equal(stdout, []string{"stdout:one\n", "stdout:three\n"}) {
		t.Fatalf("logs: %q: want one and three on stdout, two on stderr", lines)
	}
	if tail := read(logfile.ReadOptions{Tail: 1}); len(tail) != 1 || string(tail[0].Line) != "three\n" {
		t.Fatalf("logs --tail 1: %+v: want the last line", tail)
	}
}

// caseEvents: a subscription sees a container's create, start and die.
func caseEvents(t *testing.T, s *Suite) {
	name := s.Name("ev")
	c, cancel := context.WithCancel(ctx(t))
	defer cancel()
	since := time.Now().Add(-time.Second)
	evs, errs := s.Subscribe(c, events.Filter{Since: since, Containers: []string{name}, Types: []string{"container"}})
	ctr := s.createWith(t, engine.CreateOptions{Name: name, Config: engine.Config{Image: "busybox", Cmd: []string{"true"}}})
	ok(t, "start", s.Start(ctx(t), ctr.ID, engine.StartOptions{}))
	want := []string{"create", "start", "die"}
	for len(want) > 0 {
		select {
		case ev, open := <-evs:
			if !open {
				t.Fatalf("events ended before %v: %v", want, <-errs)
			}
			if ev.ID != ctr.ID || ev.Type != "container" || ev.Attributes["name"] != name {
				t.Fatalf("event %+v: not of the container asked for", ev)
			}
			if ev.Action == want[0] {
				want = want[1:]
			}
		case <-c.Done():
			t.Fatalf("events: still waiting for %v", want)
		}
	}
	past, err := s.ReadEvents(ctx(t), events.Filter{Since: since, Containers: []string{name}})
	ok(t, "read events", err)
	if !slices.ContainsFunc(past, func(ev events.Event) bool { return ev.Action == "create" && ev.ID == ctr.ID }) {
		t.Fatalf("read events: %+v: no create of %s", past, name)
	}
}
