package buildview

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"berth/images"
	"berth/images/build"
	"berth/views"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		dir, file, tag string
		bad            int // field with an error, -1 for none
		want           string
		command        string
	}{
		{dir, "", "", -1, "", "berth build " + dir},
		{dir, "Dockerfile", "app:1.0", -1, "", "berth build -t app:1.0 " + dir},
		{dir, filepath.Join(dir, "Dockerfile"), "", -1, "", "berth build -f " + filepath.Join(dir, "Dockerfile") + " " + dir},
		{filepath.Join(dir, "nope"), "", "", fContext, "directory " + filepath.Join(dir, "nope") + " does not exist", ""},
		{filepath.Join(dir, "Dockerfile"), "", "", fContext, filepath.Join(dir, "Dockerfile") + " is not a directory", ""},
		{dir, "Other", "", fFile, "Other does not exist in the context", ""},
		{dir, "sub", "", fFile, "sub is not a regular file", ""},
		{dir, "", "Bad Tag", fTag, `invalid tag "Bad Tag": want name[:tag] in lower case`, ""},
		{dir, "", "UPPER:1", fTag, `invalid tag "UPPER:1": want name[:tag] in lower case`, ""},
	}
	for _, c := range cases {
		t.Run(c.dir+"|"+c.file+"|"+c.tag, func(t *testing.T) {
			r, errs := Parse(c.dir, c.file, c.tag)
			for i, err := range errs {
				switch {
				case i == c.bad && (err == nil || err.Error() != c.want):
					t.Errorf("field %d: error %v, want %q", i, err, c.want)
				case i != c.bad && err != nil:
					t.Errorf("field %d: unexpected error %v", i, err)
				}
			}
			if c.bad < 0 && r.Command() != c.command {
				t.Errorf("command %q, want %q", r.Command(), c.command)
			}
		})
	}
	r, _ := Parse(dir, "", "app")
	o, err := r.Options()
	if err != nil || string(o.Dockerfile) != "FROM busybox\n" || o.DockerfileName != "Dockerfile" ||
		o.ContextDir != dir || len(o.Tags) != 1 || o.Tags[0] != "app" {
		t.Errorf("options %+v, %v", o, err)
	}
	if r.Title() != "app" {
		t.Errorf("title %q", r.Title())
	}
	if r, _ := Parse("", "", ""); r.ContextDir != "." || r.File != "Dockerfile" || r.Title() != "." {
		t.Errorf("defaults: %+v", r)
	}
}

// TestOutputBounded feeds a step more lines than it keeps and a very long
// one: it keeps the newest MaxOutput, each cut short, and the view shows the
// newest with a count of the earlier ones.
func TestOutputBounded(t *testing.T) {
	th := views.NewTheme(true)
	m := New(Request{Tag: "app"}, th)
	now := time.Unix(1e9, 0)
	run := build.Event{ID: 1, Stage: "stage-0", Step: 1, Total: 1, Instruction: "RUN seq 1000"}
	run.Kind = build.StepStarted
	m.Apply(run, now)
	run.Kind = build.StepOutput
	for i := 1; i <= 1000; i++ {
		run.Output = fmt.Sprintf("line %d", i)
		m.Apply(run, now)
	}
	run.Output = strings.Repeat("x", 90000)
	m.Apply(run, now)
	s := m.steps[0]
	if len(s.out) != MaxOutput || s.out[0] != "line 902" || s.dropped != 901 || len(s.out[MaxOutput-1]) > maxLineBytes+len("…") {
		t.Fatalf("kept %d lines from %q, dropped %d, last %d bytes", len(s.out), s.out[0], s.dropped, len(s.out[MaxOutput-1]))
	}
	frame := ansi.Strip(m.View(th, 80, 20, now.Add(1500*time.Millisecond)))
	for _, want := range []string{"[1/1] RUN seq 1000", "1.5s", "line 1000", "… 989 earlier line(s)", "esc cancel"} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame lacks %q:\n%s", want, frame)
		}
	}
	checkSize(t, frame, 80, 20)
}

// TestManySteps draws more steps than fit: the oldest finished ones give
// way to the running one and its output, and stages are named once there
// are two.
func TestManySteps(t *testing.T) {
	th := views.NewTheme(true)
	m := New(Request{Tag: "app"}, th)
	now := time.Unix(1e9, 0)
	for i := 1; i <= 30; i++ {
		stage := "builder"
		if i > 20 {
			stage = "stage-1"
		}
		ev := build.Event{ID: i, Stage: stage, Step: i, Total: 31, Instruction: fmt.Sprintf("RUN step %d", i), Kind: build.StepStarted}
		m.Apply(ev, now)
		ev.Kind, ev.Duration = build.StepDone, time.Duration(i)*100*time.Millisecond
		m.Apply(ev, now)
	}
	m.Apply(build.Event{ID: 31, Stage: "stage-1", Step: 31, Total: 31, Instruction: "RUN last", Kind: build.StepStarted}, now)
	m.Apply(build.Event{ID: 31, Kind: build.StepOutput, Output: "working\x1b[2J"}, now)
	m.Apply(build.Event{Kind: build.Warning, Output: "one or more build-args [X] were not consumed"}, now)
	frame := ansi.Strip(m.View(th, 80, 16, now))
	for _, want := range []string{"earlier step(s)", "[stage-1 31/31] RUN last", "│ working", "! one or more build-args", "[stage-1 30/31] RUN step 30"} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame lacks %q:\n%s", want, frame)
		}
	}
	if strings.Contains(frame, "RUN step 1 ") || strings.Contains(frame, "\x1b") {
		t.Errorf("frame shows the oldest step or an escape:\n%s", frame)
	}
	checkSize(t, frame, 80, 16)
	m.Finish(nil, errors.New("context canceled"))
	if m.Running() || m.steps[30].state != failed {
		t.Error("Finish with an error left the build running")
	}
	m = New(Request{Tag: "app:latest"}, th)
	m.Finish(&images.Image{ID: "sha256:" + strings.Repeat("ab", 32), RepoTags: []string{"app:1", "app:latest"}}, nil)
	if frame := ansi.Strip(m.View(th, 80, 16, now)); !strings.Contains(frame, "✓ built abababababab, tagged app:latest") ||
		!strings.Contains(frame, "esc close") {
		t.Errorf("finished frame:\n%s", frame)
	}
}

// checkSize checks the frame is at most h lines of exactly w cells.
func checkSize(t *testing.T, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) > h {
		t.Errorf("%d lines, want at most %d", len(lines), h)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, ansi.StringWidth(l), w, l)
		}
	}
}

// TestLiveCheckLeavesTheDiskAlone: the check run on each key in Update
// judges the tag only; the context and the Dockerfile are checked on submit,
// in a command (a hung network mount must not freeze the UI).
func TestLiveCheckLeavesTheDiskAlone(t *testing.T) {
	f, _ := NewForm()
	f.SetValue("Context", "/nonexistent/dir")
	f.SetValue("Tag", "Bad Tag")
	errs := check(f.fields)
	if errs[fContext] != "" || errs[fFile] != "" || errs[fTag] == "" {
		t.Errorf("live check: %q", errs)
	}
	f, cmd, req, done := f.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if cmd == nil || req != nil || done {
		t.Fatalf("enter: cmd %v req %v done %v", cmd != nil, req, done)
	}
	msg := cmd()
	if _, ok := msg.(CheckedMsg); !ok {
		t.Fatalf("the submit's command returned %T", msg)
	}
	f, _, req, done = f.Update(msg)
	if req != nil || done || !strings.Contains(f.View(views.Theme{}, 80), "does not exist") {
		t.Errorf("after the disk check: req %v done %v\n%s", req, done, f.View(views.Theme{}, 80))
	}
}
