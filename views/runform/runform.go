// Package runform is the `n` form that runs a new container: image, name,
// command, environment, memory, CPUs and restart policy, each field checked
// in place with the parsers the CLI uses. On submit it yields the engine's
// CreateOptions and the equivalent `berth run -d` command line.
package runform

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/views"
)

// The fields, in order.
const (
	fImage = iota
	fName
	fCmd
	fEnv
	fMemory
	fCPUs
	fRestart
	numFields
)

var labels = [numFields]string{"Image", "Name", "Command", "Env", "Memory", "CPUs", "Restart"}

var hints = [numFields]string{
	"the image to run, e.g. busybox (pull others from the Images panel)",
	"optional; letters, digits, _ . - (a random name otherwise)",
	"optional; words as in a shell: sh -c 'while :; do date; sleep 1; done'",
	"optional; KEY=VALUE pairs, comma or space separated",
	"optional memory limit (--memory), e.g. 64m, 1g",
	"optional CPU limit (--cpus), e.g. 0.5",
	"no, always, unless-stopped or on-failure[:N]",
}

// Result is a submitted form.
type Result struct {
	// Options create the container.
	Options engine.CreateOptions
	// Command is the equivalent `berth run -d ...` line.
	Command string
}

// Model is the form.
type Model struct {
	inputs [numFields]textinput.Model
	errs   [numFields]string
	focus  int
}

// New returns the form with image preset (it may be empty) and the focus on
// the image field.
func New(image string) (Model, tea.Cmd) {
	var m Model
	for i := range m.inputs {
		in := textinput.New()
		in.Prompt = ""
		in.CharLimit = 512
		m.inputs[i] = in
	}
	m.inputs[fImage].SetValue(image)
	m.inputs[fImage].CursorEnd()
	m.inputs[fRestart].Placeholder = "no"
	m.inputs[fCmd].Placeholder = "the image's default"
	return m, m.inputs[fImage].Focus()
}

// Update handles a message; it returns a Result once the form is submitted
// with valid input, and done when it closed (submitted or cancelled).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd, *Result, bool) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return m, nil, nil, true
		case "tab", "down":
			return m, m.move(1), nil, false
		case "shift+tab", "up":
			return m, m.move(-1), nil, false
		case "enter":
			res, bad := m.Submit()
			if bad < 0 {
				return m, nil, &res, true
			}
			m.errs = m.check()
			m.inputs[m.focus].Blur()
			m.focus = bad
			return m, m.inputs[bad].Focus(), nil, false
		}
	}
	var cmd tea.Cmd
	m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
	m.errs[m.focus] = m.check()[m.focus]
	return m, cmd, nil, false
}

func (m *Model) move(d int) tea.Cmd {
	m.inputs[m.focus].Blur()
	m.focus = (m.focus + d + numFields) % numFields
	return m.inputs[m.focus].Focus()
}

// SetValue sets a field by its label ("Image", "Env", ...); tests fill the
// form with it.
func (m *Model) SetValue(label, v string) {
	for i, l := range labels {
		if l == label {
			m.inputs[i].SetValue(v)
			m.errs[i] = m.check()[i]
		}
	}
}

func (m Model) value(i int) string { return strings.TrimSpace(m.inputs[i].Value()) }

// check validates every field and returns the reason each is invalid ("" when fine).
func (m Model) check() [numFields]string {
	var errs [numFields]string
	set := func(i int, err error) {
		if err != nil {
			errs[i] = err.Error()
		}
	}
	if m.value(fImage) == "" {
		errs[fImage] = "an image is required"
	}
	if n := m.value(fName); n != "" {
		set(fName, engine.ValidateName(n))
	}
	_, err := SplitArgs(m.value(fCmd))
	set(fCmd, err)
	_, err = ParseEnv(m.value(fEnv))
	set(fEnv, err)
	_, err = ParseMemory(m.value(fMemory))
	set(fMemory, err)
	_, err = ParseCPUs(m.value(fCPUs))
	set(fCPUs, err)
	_, err = ParseRestart(m.value(fRestart))
	set(fRestart, err)
	return errs
}

// Submit builds the result, or returns the index of the first invalid field.
func (m Model) Submit() (Result, int) {
	for i, e := range m.check() {
		if e != "" {
			return Result{}, i
		}
	}
	cmd, _ := SplitArgs(m.value(fCmd))
	env, _ := ParseEnv(m.value(fEnv))
	mem, _ := ParseMemory(m.value(fMemory))
	cpus, _ := ParseCPUs(m.value(fCPUs))
	restart, _ := ParseRestart(m.value(fRestart))
	o := engine.CreateOptions{Name: m.value(fName), Config: engine.Config{Image: m.value(fImage), Cmd: cmd, Env: env}}
	o.HostConfig.Memory, o.HostConfig.NanoCPUs, o.HostConfig.RestartPolicy = mem, cpus, restart
	o.HostConfig.LogConfig = engine.LogConfig{Type: "json-file", Config: map[string]string{}}
	line := []string{"berth", "run", "-d"}
	add := func(flag string, i int) {
		if v := m.value(i); v != "" {
			line = append(line, flag, Quote(v))
		}
	}
	add("--name", fName)
	for _, e := range env {
		line = append(line, "-e", Quote(e))
	}
	add("--memory", fMemory)
	add("--cpus", fCPUs)
	if restart.Name != "no" {
		add("--restart", fRestart)
	}
	line = append(line, Quote(o.Config.Image))
	for _, a := range cmd {
		line = append(line, Quote(a))
	}
	return Result{Options: o, Command: strings.Join(line, " ")}, -1
}

// View draws the form as a box at most width cells wide.
func (m Model) View(th views.Theme, width int) string {
	w := min(width, 76)
	var lines []string
	for i := range m.inputs {
		label := views.Fit(labels[i], 8)
		if i == m.focus {
			label = th.Key.Render(label)
		}
		m.inputs[i].SetWidth(w - 14)
		lines = append(lines, " "+label+" "+th.Dim.Render("▏")+m.inputs[i].View())
		if m.errs[i] != "" {
			lines = append(lines, "          "+th.Bad.Render("✗ "+views.Sanitize(strings.TrimSuffix(m.errs[i], ": invalid argument"))))
		}
	}
	lines = append(lines, "", " "+th.Dim.Render(hints[m.focus]), "",
		" "+th.Key.Render("tab/↓")+" next  "+th.Key.Render("shift+tab/↑")+" previous  "+th.Key.Render("enter")+" run  "+th.Key.Render("esc")+" cancel")
	return views.Box(th, "Run a new container (berth run -d)", lines, w, len(lines)+2, true)
}
