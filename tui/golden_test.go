package tui

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// updating reports whether -update was given (the flag is registered by
// the golden package that teatest imports).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// press makes a key press from a key name ("enter", "esc", "tab", "space",
// "shift+tab") or the text of a printable key ("j", "S", "/").
func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// settle runs cmd and the commands its messages lead to, feeding each
// message to m; commands that do not answer within 50 ms (the clock, the
// events stream, cursor blinks) are left behind.
func settle(m *Model, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0 && steps < 500; steps++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(50 * time.Millisecond):
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// keys presses each key in turn and settles.
func keys(m *Model, ks ...string) {
	for _, k := range ks {
		_, cmd := m.Update(press(k))
		settle(m, cmd)
	}
}

// newTestModel opens the UI on the fake engine at w×h with stats loaded.
func newTestModel(t testing.TB, w, h int) (*Model, *fakeEngine) {
	m, f, _ := newTestModelNets(t, w, h)
	return m, f
}

// newTestModelNets is newTestModel that also returns the fake networks.
func newTestModelNets(t testing.TB, w, h int) (*Model, *fakeEngine, *fakeNetworks) {
	m, f, fn, _ := newTestModelAll(t, w, h)
	return m, f, fn
}

// newTestModelAll is newTestModel that also returns the fake networks and volumes.
func newTestModelAll(t testing.TB, w, h int) (*Model, *fakeEngine, *fakeNetworks, *fakeVolumes) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := newFakeEngine(t)
	f.imgs = newFakeImages()
	fn := newFakeNetworks(f)
	fv := newFakeVolumes(f)
	m := New(ctx, f, Options{
		Images: f.imgs, Networks: fn, Volumes: fv, Now: func() time.Time { return testNow },
		XRay: fakeXRay,
	})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	settle(m, m.Init())
	for _, b := range fakeStats(f) {
		m.Update(statsMsg{b})
	}
	return m, f, fn, fv
}

// checkGolden compares the frame, drawn with the 16-colour profile, to
// testdata/name.golden (rewritten with -update) and checks its size.
func checkGolden(t *testing.T, m *Model, name string) {
	t.Helper()
	frame := m.Render()
	lines := strings.Split(frame, "\n")
	if len(lines) != m.height {
		t.Errorf("%s: frame has %d lines, want %d", name, len(lines), m.height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != m.width {
			t.Errorf("%s: line %d is %d cells wide, want %d: %q", name, i, w, m.width, ansi.Strip(l))
		}
	}
	var buf bytes.Buffer
	w := colorprofile.NewWriter(&buf, nil)
	w.Profile = colorprofile.ANSI
	if _, err := w.Write([]byte(frame)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui/... -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden frame; got:\n%s\nwant:\n%s", name, ansi.Strip(buf.String()), ansi.Strip(string(want)))
	}
}

func TestGoldenFrames(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		want string // text the frame must show
	}{
		{"containers-logs", nil, "line 40 hello"},
		{"logs-search", []string{"l", "/", "w", "a", "r", "n", "enter"}, "/warn"},
		{"logs-filter", []string{"l", "/", "w", "a", "r", "n", "enter", "f", "t"}, "filtered"},
		{"stats", []string{"j", "]"}, "throttled"},
		{"inspect", []string{"]", "]"}, `"Id":`},
		{"env", []string{"]", "]", "]"}, "MODE=demo"},
		{"ports", []string{"j", "j", "j", "[", "[", "["}, "80/tcp -> 0.0.0.0:8080"},
		{"top", []string{"j", "[", "["}, "while :"},
		{"xray", []string{"j", "["}, "own  cgroup"},
		{"xray-scrolled", []string{"j", "[", "l", "G"}, "no_new_privs"},
		{"xray-veth", append([]string{"j", "[", "l", "G"}, strings.Split(strings.Repeat("k", 40), "")...), "veth pair"},
		{"xray-network", append([]string{"j", "[", "l", "G"}, strings.Split(strings.Repeat("k", 22), "")...), "DNAT: traffic to host port 32768"},
		{"xray-stopped", []string{"j", "j", "["}, "not running"},
		{"filter", []string{"/", "d", "e", "m"}, "Containers 3/6"},
		{"sorted", []string{"o", "O"}, "sort name▼"},
		{"remove-dialog", []string{"space", "space", "d"}, "Remove 2 container(s)?"},
		{"kill-dialog", []string{"K"}, "SIGUSR1"},
		{"prune-dialog", []string{"P"}, "batch-job"},
		{"images-history", []string{"2", "]"}, "ADD busybox-static"},
		{"networks", []string{"3"}, "10.123.0.0/24"},
		{"network-containers", []string{"3", "]"}, "02:42:0a:d5:00:02"},
		{"network-remove-busy", []string{"3", "j", "j", "j", "d"}, "remove or disconnect them first"},
		{"network-remove", []string{"3", "j", "j", "j", "j", "d"}, "Remove network isolated?"},
		{"network-remove-predefined", []string{"3", "j", "d"}, "host is a pre-defined network and cannot be removed"},
		{"network-prune", []string{"3", "P"}, "Prune 1 unused network(s)?"},
		{"network-form", []string{"3", "n", "a", "p", "i", "tab", "1", "0", ".", "9"}, "invalid subnet"},
		{"volumes", []string{"4"}, "pgdata"},
		{"volume-containers", []string{"4", "j", "j", "j", "]"}, "/var/lib/data"},
		{"volume-remove-busy", []string{"4", "d"}, "remove them first"},
		{"volume-remove", []string{"4", "j", "j", "d"}, "Remove volume backups?"},
		{"volume-prune", []string{"4", "P"}, "Prune 1 unused volume(s)?"},
		{"volume-form", []string{"4", "n", "b", "a", "d", "/", "x"}, "invalid characters"},
		{"xray-mounts", append([]string{"j", "[", "l", "G"}, strings.Split(strings.Repeat("k", 48), "")...), "memory-backed"},
		{"help", []string{"?"}, "quit"},
		{"cmdlog", []string{"S", "L"}, "berth stop demo-logger"},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, c := range cases {
			name := c.name + "-" + itoa(size[0]) + "x" + itoa(size[1])
			t.Run(name, func(t *testing.T) {
				m, _ := newTestModel(t, size[0], size[1])
				keys(m, c.keys...)
				if got := ansi.Strip(m.Render()); !strings.Contains(got, c.want) {
					t.Errorf("frame does not show %q:\n%s", c.want, got)
				}
				checkGolden(t, m, name)
			})
		}
	}
}

func TestTooSmall(t *testing.T) {
	m, _ := newTestModel(t, 39, 12)
	if got := m.Render(); !strings.Contains(got, "terminal too small") {
		t.Errorf("39×12: %q", got)
	}
	m.Update(tea.WindowSizeMsg{Width: 40, Height: 10})
	checkGolden(t, m, "smallest-40x10")
}

func itoa(n int) string { return strconv.Itoa(n) }
