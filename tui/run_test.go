package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// typeText presses each character of s.
func typeText(m *Model, s string) {
	for _, r := range s {
		k := string(r)
		if r == ' ' {
			k = "space"
		}
		keys(m, k)
	}
}

func TestRunFormFrames(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		sz := "-" + itoa(size[0]) + "x" + itoa(size[1])
		t.Run("empty"+sz, func(t *testing.T) {
			m, _ := newTestModel(t, size[0], size[1])
			keys(m, "n")
			checkGolden(t, m, "run-form"+sz)
		})
		t.Run("invalid"+sz, func(t *testing.T) {
			m, _ := newTestModel(t, size[0], size[1])
			keys(m, "n", "tab")
			typeText(m, "-bad")
			keys(m, "tab", "tab", "tab", "tab", "tab") // Command, Env, Ports, Volumes, Memory
			typeText(m, "lots")
			keys(m, "tab", "tab", "tab") // CPUs, Restart, Groups
			typeText(m, "wheel a:b")
			keys(m, "enter")
			got := ansi.Strip(m.Render())
			for _, want := range []string{"an image is required", "invalid container name", `"lots": want a positive size`,
				`invalid --group-add "a:b": not a group name or GID`} {
				if !strings.Contains(got, want) {
					t.Errorf("frame lacks %q:\n%s", want, got)
				}
			}
			checkGolden(t, m, "run-form-invalid"+sz)
		})
	}
}

// TestRunFormRuns fills the form, submits it and finds the container
// created, started and logged as the CLI command.
func TestRunFormRuns(t *testing.T) {
	m, f := newTestModel(t, 120, 40)
	keys(m, "n")
	typeText(m, "busybox")
	keys(m, "tab")
	typeText(m, "web2")
	keys(m, "tab")
	typeText(m, "sh -c 'sleep 100'")
	keys(m, "tab")
	typeText(m, "A=1,B=x")
	keys(m, "tab")
	typeText(m, "8080:80")
	keys(m, "tab")
	typeText(m, "data:/data")
	keys(m, "tab")
	typeText(m, "64m")
	keys(m, "tab")
	typeText(m, "0.5")
	keys(m, "tab")
	typeText(m, "always")
	keys(m, "tab")
	typeText(m, "wheel,123")
	keys(m, "enter")
	if m.form != nil {
		t.Fatalf("form still open:\n%s", ansi.Strip(m.Render()))
	}
	if !slices.Equal(f.acts, []string{"create web2", "start web2"}) {
		t.Errorf("engine saw %q", f.acts)
	}
	c, err := f.find("web2")
	if err != nil {
		t.Fatal(err)
	}
	if c.HostConfig.Memory != 64<<20 || c.HostConfig.NanoCPUs != 5e8 || c.HostConfig.RestartPolicy.Name != "always" ||
		!slices.Equal(c.Config.Env, []string{"A=1", "B=x"}) || !slices.Equal(c.HostConfig.GroupAdd, []string{"wheel", "123"}) || !slices.Equal(c.Config.Cmd, []string{"sh", "-c", "sleep 100"}) {
		t.Errorf("created %+v %+v", c.Config, c.HostConfig)
	}
	if p := c.HostConfig.PortBindings["80/tcp"]; len(p) != 1 || p[0].HostPort != "8080" ||
		len(c.HostConfig.Mounts) != 1 || c.HostConfig.Mounts[0].Source != "data" || c.HostConfig.Mounts[0].Target != "/data" {
		t.Errorf("ports %+v, mounts %+v", c.HostConfig.PortBindings, c.HostConfig.Mounts)
	}
	want := "berth run -d --name web2 -e A=1 -e B=x -p 8080:80 -v data:/data --memory 64m --cpus 0.5 --restart always --group-add wheel --group-add 123 busybox sh -c 'sleep 100'"
	if len(m.commands) != 1 || !strings.HasSuffix(m.commands[0], want) {
		t.Errorf("command log %q, want %q", m.commands, want)
	}
	if got := ansi.Strip(m.Render()); !strings.Contains(got, "started web2") || !strings.Contains(got, "web2") {
		t.Errorf("frame:\n%s", got)
	}
	keys(m, "n", "esc")
	if m.form != nil {
		t.Error("esc did not close the form")
	}
}

func TestPullFrames(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		name := "pull-progress-" + itoa(size[0]) + "x" + itoa(size[1])
		t.Run(name, func(t *testing.T) {
			m, _ := newTestModel(t, size[0], size[1])
			keys(m, "2", "u")
			typeText(m, "alpine:slow")
			keys(m, "enter")
			got := ansi.Strip(m.Render())
			for _, want := range []string{"Pulling alpine:slow", "Already exists", "Downloading", "3.0MiB/4.0MiB", "Pulling fs layer"} {
				if !strings.Contains(got, want) {
					t.Errorf("frame lacks %q:\n%s", want, got)
				}
			}
			checkGolden(t, m, name)
			keys(m, "esc")
			if m.pull != nil || !strings.Contains(ansi.Strip(m.Render()), "pull of alpine:slow cancelled") {
				t.Errorf("esc did not cancel:\n%s", ansi.Strip(m.Render()))
			}
			fi := m.opts.Images.(*fakeImages)
			deadline := time.Now().Add(5 * time.Second)
			for {
				fi.mu.Lock()
				n := len(fi.cancelled)
				fi.mu.Unlock()
				if n == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the store's pull was never cancelled")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestPullCompletes pulls to the end: the image shows in the list and the
// command log has the pull.
func TestPullCompletes(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	keys(m, "2", "u")
	typeText(m, "alpine:3.20")
	keys(m, "enter")
	got := ansi.Strip(m.Render())
	if m.pull != nil || !strings.Contains(got, "pulled alpine:3.20") || !strings.Contains(got, "alpine:3.20") {
		t.Errorf("after the pull:\n%s", got)
	}
	if len(m.commands) != 1 || !strings.HasSuffix(m.commands[0], "berth pull alpine:3.20") {
		t.Errorf("command log %q", m.commands)
	}
	keys(m, "u")
	typeText(m, "Bad Ref!")
	keys(m, "enter")
	if got := ansi.Strip(m.Render()); m.dialog == nil || !strings.Contains(got, "Bad Ref!") {
		t.Errorf("an invalid reference was not flagged in place:\n%s", got)
	}
}
