package apitest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/engine"
	"berth/images"
)

func systemCases() []Case {
	return []Case{
		{"version", func(t *testing.T, s *Suite) {
			v, err := s.Version(ctx(t))
			ok(t, "version", err)
			if v.Version == "" || v.APIVersion == "" || v.Os != "linux" {
				t.Fatalf("version: Version %q, APIVersion %q, Os %q: want all set, linux", v.Version, v.APIVersion, v.Os)
			}
		}},
		{"info", func(t *testing.T, s *Suite) {
			before, err := s.Info(ctx(t))
			ok(t, "info", err)
			s.create(t, "true")
			after, err := s.Info(ctx(t))
			ok(t, "info", err)
			if after.OSType != "linux" || after.Images < 1 {
				t.Fatalf("info: OSType %q, Images %d: want linux and busybox counted", after.OSType, after.Images)
			}
			if after.Containers != before.Containers+1 || after.ContainersStopped != before.ContainersStopped+1 {
				t.Fatalf("info after a create: Containers %d→%d, Stopped %d→%d: want one more of each",
					before.Containers, after.Containers, before.ContainersStopped, after.ContainersStopped)
			}
		}},
	}
}

func containerCases() []Case {
	return []Case{
		{"create-inspect", caseCreateInspect},
		{"lifecycle", caseLifecycle},
		{"list", caseList},
		{"wait-exit-code", func(t *testing.T, s *Suite) {
			for _, code := range []int{0, 3, 42} {
				c := s.started(t, "sh", "-c", "exit "+strconv.Itoa(code))
				got, err := s.Wait(ctx(t), c.ID)
				ok(t, "wait", err)
				if got != code {
					t.Fatalf("wait: exit code %d, want %d", got, code)
				}
				in, err := s.Inspect(ctx(t), c.ID)
				ok(t, "inspect", err)
				if in.State.Status != "exited" || in.State.ExitCode != code {
					t.Fatalf("inspect after exit: status %q code %d, want exited %d", in.State.Status, in.State.ExitCode, code)
				}
			}
		}},
		{"start-started-and-stop-stopped", func(t *testing.T, s *Suite) {
			c := s.started(t, "sleep", "300")
			ok(t, "start a running container (Docker's 304)", s.Start(ctx(t), c.ID, engine.StartOptions{}))
			zero := time.Duration(0)
			ok(t, "stop", s.Stop(ctx(t), c.ID, engine.StopOptions{Timeout: &zero}))
			ok(t, "stop a stopped container (Docker's 304)", s.Stop(ctx(t), c.ID, engine.StopOptions{Timeout: &zero}))
		}},
		{"pause-unpause", func(t *testing.T, s *Suite) {
			c := s.started(t, "sleep", "300")
			ok(t, "pause", s.Pause(ctx(t), c.ID))
			if in, err := s.Inspect(ctx(t), c.ID); err != nil || !in.State.Paused || in.State.Status != "paused" {
				t.Fatalf("inspect after pause: %+v, %v: want paused", in.State, err)
			}
			ok(t, "unpause", s.Unpause(ctx(t), c.ID))
			if in, err := s.Inspect(ctx(t), c.ID); err != nil || in.State.Paused || !in.State.Running {
				t.Fatalf("inspect after unpause: %+v, %v: want running", in.State, err)
			}
		}},
		{"rename", func(t *testing.T, s *Suite) {
			c := s.create(t, "true")
			name := s.Name("renamed")
			ok(t, "rename", s.Rename(ctx(t), c.ID, name))
			in, err := s.Inspect(ctx(t), name)
			ok(t, "inspect by the new name", err)
			if in.ID != c.ID || in.Name != "/"+name {
				t.Fatalf("inspect by the new name: %s %q, want %s /%s", in.ID, in.Name, c.ID, name)
			}
			_, err = s.Inspect(ctx(t), c.Name[1:])
			wantMissing(t, "inspect by the old name", err, c.Name[1:])
		}},
		{"top", func(t *testing.T, s *Suite) {
			c := s.started(t, "sleep", "300")
			ps, err := s.Top(ctx(t), c.ID)
			ok(t, "top", err)
			if !slices.ContainsFunc(ps, func(p engine.Process) bool { return strings.Contains(p.Command, "sleep") }) {
				t.Fatalf("top: %+v: no sleep", ps)
			}
		}},
		{"diff", func(t *testing.T, s *Suite) {
			c := s.started(t, "sh", "-c", "touch /made-by-apitest")
			_, err := s.Wait(ctx(t), c.ID)
			ok(t, "wait", err)
			changes, err := s.Diff(ctx(t), c.ID)
			ok(t, "diff", err)
			if !slices.ContainsFunc(changes, func(ch images.Change) bool {
				return ch.Path == "/made-by-apitest" && ch.Kind == images.ChangeAdd
			}) {
				t.Fatalf("diff: %+v: no A /made-by-apitest", changes)
			}
		}},
	}
}

// caseCreateInspect: what create was given is what inspect shows.
func caseCreateInspect(t *testing.T, s *Suite) {
	name := s.Name("ctr")
	c := s.createWith(t, engine.CreateOptions{Name: name, Config: engine.Config{Image: "busybox",
		Cmd: []string{"sleep", "300"}, Env: []string{"APITEST=1"}, Labels: map[string]string{"apitest": "yes"},
		WorkingDir: "/tmp"}})
	if len(c.ID) != 64 || c.Name != "/"+name {
		t.Fatalf("create: ID %q Name %q, want 64 hex digits and /%s", c.ID, c.Name, name)
	}
	for _, ref := range []string{c.ID, c.ID[:12], name} {
		in, err := s.Inspect(ctx(t), ref)
		ok(t, "inspect "+ref, err)
		if in.ID != c.ID {
			t.Fatalf("inspect %s: ID %s, want %s", ref, in.ID, c.ID)
		}
		if in.State.Status != "created" || in.State.Running {
			t.Fatalf("inspect %s: state %+v, want created", ref, in.State)
		}
		if !slices.Contains(in.Config.Env, "APITEST=1") || in.Config.Labels["apitest"] != "yes" ||
			in.Config.WorkingDir != "/tmp" || strings.Join(in.Config.Cmd, " ") != "sleep 300" {
			t.Fatalf("inspect %s: config %+v: want the Env, Labels, WorkingDir and Cmd given", ref, in.Config)
		}
		if in.Config.Image != "busybox" || !strings.HasPrefix(in.Image, "sha256:") || in.Created.IsZero() {
			t.Fatalf("inspect %s: Config.Image %q Image %q Created %v", ref, in.Config.Image, in.Image, in.Created)
		}
	}
}

// caseLifecycle: start, stop (killed after the timeout), remove.
func caseLifecycle(t *testing.T, s *Suite) {
	c := s.create(t, "sleep", "300")
	ok(t, "start", s.Start(ctx(t), c.ID, engine.StartOptions{}))
	in, err := s.Inspect(ctx(t), c.ID)
	ok(t, "inspect", err)
	if !in.State.Running || in.State.Status != "running" || in.State.Pid <= 0 || in.StartedTime().IsZero() {
		t.Fatalf("inspect after start: %+v: want running with a pid and a start time", in.State)
	}
	zero := time.Duration(0)
	ok(t, "stop", s.Stop(ctx(t), c.ID, engine.StopOptions{Timeout: &zero}))
	code, err := s.Wait(ctx(t), c.ID)
	ok(t, "wait", err)
	if code != 137 {
		t.Fatalf("wait after a stop with no grace: exit code %d, want 137 (SIGKILL)", code)
	}
	in, err = s.Inspect(ctx(t), c.ID)
	ok(t, "inspect", err)
	if in.State.Running || in.State.Status != "exited" || in.FinishedTime().IsZero() {
		t.Fatalf("inspect after stop: %+v: want exited with a finish time", in.State)
	}
	ok(t, "remove", s.Remove(ctx(t), c.ID, engine.RemoveOptions{}))
	_, err = s.Inspect(ctx(t), c.ID)
	wantMissing(t, "inspect a removed container", err, c.ID)
}

// caseList: ListContainers without All has the running containers, with All all.
func caseList(t *testing.T, s *Suite) {
	run := s.started(t, "sleep", "300")
	stopped := s.create(t, "true")
	has := func(cs []*engine.Container, id string) bool {
		return slices.ContainsFunc(cs, func(c *engine.Container) bool { return c.ID == id })
	}
	running, err := s.ListContainers(ctx(t), engine.ContainerListOptions{})
	ok(t, "list", err)
	if !has(running, run.ID) || has(running, stopped.ID) {
		t.Fatalf("list: want the running container and not the created one")
	}
	all, err := s.ListContainers(ctx(t), engine.ContainerListOptions{All: true})
	ok(t, "list all", err)
	if !has(all, run.ID) || !has(all, stopped.ID) {
		t.Fatalf("list all: want both containers")
	}
	for _, c := range all {
		if c.ID == run.ID && (!c.State.Running || c.Config.Image != "busybox") {
			t.Fatalf("list all: the running container shows %+v, image %q", c.State, c.Config.Image)
		}
	}
}
