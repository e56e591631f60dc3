package tui

import (
	"berth/engine"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"berth/views/buildview"
)

// startFakeBuild opens the build form on the Images panel, fills it with
// the fixture context and tag, and submits it.
func startFakeBuild(m *Model, tag string) {
	keys(m, "2", "b")
	typeText(m, "testdata/build")
	keys(m, "tab", "tab")
	typeText(m, tag)
	keys(m, "enter")
}

// frameHas fails unless the frame shows each of want.
func frameHas(t *testing.T, m *Model, want ...string) {
	t.Helper()
	got := ansi.Strip(m.Render())
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("frame lacks %q:\n%s", w, got)
		}
	}
}

func TestBuildFrames(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		sz := "-" + itoa(size[0]) + "x" + itoa(size[1])
		t.Run("form"+sz, func(t *testing.T) {
			m, _ := newTestModel(t, size[0], size[1])
			keys(m, "2", "b")
			frameHas(t, m, "Build an image", "Context", "Dockerfile", "Tag")
			checkGolden(t, m, "build-form"+sz)
		})
		t.Run("form-invalid"+sz, func(t *testing.T) {
			m, _ := newTestModel(t, size[0], size[1])
			keys(m, "2", "b")
			typeText(m, "testdata/nope")
			keys(m, "tab", "tab")
			typeText(m, "Bad:Tag!")
			keys(m, "enter")
			frameHas(t, m, "directory testdata/nope does not exist", `invalid tag "Bad:Tag!"`)
			if m.build != nil {
				t.Error("an invalid form started a build")
			}
			checkGolden(t, m, "build-form-invalid"+sz)
		})
		t.Run("progress"+sz, func(t *testing.T) {
			m, _ := newTestModel(t, size[0], size[1])
			startFakeBuild(m, "app:slow")
			frameHas(t, m, "Building app:slow", "[1/4] FROM busybox", "CACHED", "[2/4] COPY . /app", "0.1s",
				"[3/4] RUN cd /app && make all", "compiling module 14 of 14", "esc cancel")
			checkGolden(t, m, "build-progress"+sz)
		})
		t.Run("failed"+sz, func(t *testing.T) {
			m, _ := newTestModel(t, size[0], size[1])
			startFakeBuild(m, "app:fail")
			frameHas(t, m, "Build of app:fail", "ERROR", "Error 2", "Dockerfile:3: RUN cd /app && make all", "exit code: 2", "esc close")
			checkGolden(t, m, "build-failed"+sz)
		})
	}
}

// TestBuildCompletes builds to the end: the view shows the image and its
// tag, the Images panel lists it, the command log has the berth build line
// and esc closes the view.
func TestBuildCompletes(t *testing.T) {
	m, f := newTestModel(t, 120, 40)
	keys(m, "2", "b")
	typeText(m, "testdata/build")
	keys(m, "tab")
	typeText(m, "Dockerfile")
	keys(m, "tab")
	typeText(m, "myapp:1.0")
	keys(m, "enter")
	frameHas(t, m, "Build of myapp:1.0", "2.3s", "✓ built cdcdcdcdcdcd, tagged myapp:1.0", "built myapp:1.0")
	if !slices.Contains(f.acts, `build testdata/build myapp:1.0 "FROM busybox\nCOPY . /app\nRUN cd /app && \\\n    make all\nCMD [\"/app/server\"]\n"`) {
		t.Errorf("engine saw %q", f.acts)
	}
	if want := "berth build -t myapp:1.0 testdata/build"; len(m.commands) != 1 || !strings.HasSuffix(m.commands[0], want) {
		t.Errorf("command log %q, want %q", m.commands, want)
	}
	keys(m, "esc")
	if m.build != nil {
		t.Fatal("esc did not close the finished build")
	}
	frameHas(t, m, "Images 3", "myapp:1.0")
}

// TestBuildCancel cancels a build with esc in a running program: the view
// says it is cancelling until the engine's Build returns, then closes, and
// the engine saw its context cancelled.
func TestBuildCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFakeEngine(t)
	f.imgs = newFakeImages()
	rec := &recorder{Model: New(ctx, f, Options{Images: f.imgs, Now: func() time.Time { return testNow }})}
	tm := teatest.NewTestModel(t, rec, teatest.WithInitialTermSize(120, 40))
	for _, k := range []string{"2", "b"} {
		tm.Send(press(k))
	}
	screenHas(t, rec, "Build an image")
	tm.Type("testdata/build")
	tm.Send(press("tab"))
	tm.Send(press("tab"))
	tm.Type("app:slow")
	tm.Send(press("enter"))
	screenHas(t, rec, "Building app:slow", "compiling module 14 of 14")
	tm.Send(press("esc"))
	screenHas(t, rec, "build of app:slow cancelled; nothing was left behind")
	f.mu.Lock()
	acts := slices.Clone(f.acts)
	f.mu.Unlock()
	if !slices.Contains(acts, "build cancelled") {
		t.Errorf("the engine's build was not cancelled: %q", acts)
	}
	tm.Send(press("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

// TestBuildIgnoresMouse: clicks on the panels under the build form or the
// Build view do not move the UI beneath them.
func TestBuildIgnoresMouse(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	click := func() {
		_, cmd := m.Update(tea.MouseClickMsg{X: 8, Y: 0, Button: tea.MouseLeft}) // "1 Containers"
		settle(m, cmd)
	}
	keys(m, "2", "b")
	click()
	if m.panel != panelImages || m.buildForm == nil {
		t.Errorf("a click under the form switched to panel %d", m.panel)
	}
	keys(m, "esc")
	startFakeBuild(m, "app:1")
	click()
	if m.panel != panelImages || m.build == nil {
		t.Errorf("a click under the Build view switched to panel %d", m.panel)
	}
}

// TestBuildFinishedBeforeCancel: a build that ended well before the esc
// reached it shows its image instead of a cancel.
func TestBuildFinishedBeforeCancel(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	v := buildview.New(buildview.Request{ContextDir: ".", File: "Dockerfile", Tag: "app:1"}, m.th)
	v.Cancel()
	m.build, m.buildGen = &v, 7
	m.onBuild(buildProgressMsg{gen: 7, ended: true, res: buildResult{img: &engine.Image{ID: "sha256:" + strings.Repeat("ef", 32)}}})
	if m.build == nil {
		t.Fatal("the view closed as if cancelled")
	}
	frameHas(t, m, "✓ built efefefefefef, tagged app:1", "built app:1")
}
