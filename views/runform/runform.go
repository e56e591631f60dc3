// Package runform is the `n` form that runs a new container: image, name,
// command, environment, ports, volumes, memory, CPUs, restart policy and added groups, each field checked
// in place with the parsers the CLI uses (engine/opts). On submit it yields the engine's
// CreateOptions and the equivalent `berth run -d` command line.
package runform

import (
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/engine/opts"
	"berth/views"
	"berth/views/form"
)

// The fields, in order.
const (
	fImage = iota
	fName
	fCmd
	fEnv
	fPorts
	fVolumes
	fMemory
	fCPUs
	fRestart
	fGroups
	numFields
)

var labels = []string{"Image", "Name", "Command", "Env", "Ports", "Volumes", "Memory", "CPUs", "Restart", "Groups"}

var hints = []string{
	"the image to run, e.g. busybox (pull others from the Images panel)",
	"optional; letters, digits, _ . - (a random name otherwise)",
	"optional; words as in a shell: sh -c 'while :; do date; sleep 1; done'",
	"optional; KEY=VALUE pairs, comma or space separated",
	"optional; -p specs, space separated: 8080:80 127.0.0.1:5353:53/udp",
	"optional; -v specs, space separated: data:/var/lib/data /srv/site:/www:ro /scratch",
	"optional memory limit (--memory), e.g. 64m, 1g",
	"optional CPU limit (--cpus), e.g. 0.5",
	"no, always, unless-stopped or on-failure[:N]",
	"optional; --group-add: group names or GIDs, comma or space separated: wheel 123",
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
	fields form.Fields
}

// New returns the form with image preset (it may be empty) and the focus on
// the image field.
func New(image string) (Model, tea.Cmd) {
	m := Model{fields: form.New(numFields, 512)}
	m.fields.Input(fImage).SetValue(image)
	m.fields.Input(fImage).CursorEnd()
	m.fields.Input(fRestart).Placeholder = "no"
	m.fields.Input(fCmd).Placeholder = "the image's default"
	return m, m.fields.Focus()
}

// Update handles a message; it returns a Result once the form is submitted
// with valid input, and done when it closed (submitted or cancelled).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd, *Result, bool) {
	cmd, step := m.fields.Update(msg, check)
	switch step {
	case form.Cancel:
		return m, nil, nil, true
	case form.Submit:
		res, _ := m.Submit()
		return m, nil, &res, true
	}
	return m, cmd, nil, false
}

// SetValue sets a field by its label ("Image", "Env", ...); tests fill the
// form with it.
func (m *Model) SetValue(label, v string) {
	if i := slices.Index(labels, label); i >= 0 {
		m.fields.Set(i, v, check)
	}
}

// check validates every field and returns the reason each is invalid ("" when fine).
func check(fs form.Fields) []string {
	errs := make([]string, numFields)
	set := func(i int, err error) {
		if err != nil {
			errs[i] = err.Error()
		}
	}
	if fs.Value(fImage) == "" {
		errs[fImage] = "an image is required"
	}
	if n := fs.Value(fName); n != "" {
		set(fName, engine.ValidateName(n))
	}
	_, err := SplitArgs(fs.Value(fCmd))
	set(fCmd, err)
	_, err = ParseEnv(fs.Value(fEnv))
	set(fEnv, err)
	_, err = opts.ParsePorts(strings.Fields(fs.Value(fPorts)))
	set(fPorts, err)
	set(fVolumes, opts.Mounts(&engine.HostConfig{}, strings.Fields(fs.Value(fVolumes)), nil, nil))
	_, err = opts.ParseMemory(fs.Value(fMemory))
	set(fMemory, err)
	_, err = opts.ParseCPUs(fs.Value(fCPUs))
	set(fCPUs, err)
	_, err = opts.ParseRestart(fs.Value(fRestart))
	set(fRestart, err)
	_, err = opts.SplitGroupAdd(fs.Value(fGroups))
	set(fGroups, err)
	return errs
}

// Submit builds the result, or returns the index of the first invalid field.
func (m Model) Submit() (Result, int) {
	for i, e := range check(m.fields) {
		if e != "" {
			return Result{}, i
		}
	}
	cmd, _ := SplitArgs(m.fields.Value(fCmd))
	env, _ := ParseEnv(m.fields.Value(fEnv))
	mem, _ := opts.ParseMemory(m.fields.Value(fMemory))
	cpus, _ := opts.ParseCPUs(m.fields.Value(fCPUs))
	restart, _ := opts.ParseRestart(m.fields.Value(fRestart))
	groups, _ := opts.SplitGroupAdd(m.fields.Value(fGroups))
	o := engine.CreateOptions{Name: m.fields.Value(fName), Config: engine.Config{Image: m.fields.Value(fImage), Cmd: cmd, Env: env}}
	o.HostConfig.Memory, o.HostConfig.NanoCPUs, o.HostConfig.RestartPolicy = mem, cpus, restart
	o.HostConfig.GroupAdd = groups
	o.HostConfig.LogConfig = engine.LogConfig{Type: "json-file", Config: map[string]string{}}
	o.HostConfig.PortBindings, _ = opts.ParsePorts(strings.Fields(m.fields.Value(fPorts)))
	_ = opts.Mounts(&o.HostConfig, strings.Fields(m.fields.Value(fVolumes)), nil, nil)
	line := []string{"berth", "run", "-d"}
	add := func(flag string, i int) {
		if v := m.fields.Value(i); v != "" {
			line = append(line, flag, Quote(v))
		}
	}
	add("--name", fName)
	for _, e := range env {
		line = append(line, "-e", Quote(e))
	}
	for _, p := range strings.Fields(m.fields.Value(fPorts)) {
		line = append(line, "-p", Quote(p))
	}
	for _, v := range strings.Fields(m.fields.Value(fVolumes)) {
		line = append(line, "-v", Quote(v))
	}
	add("--memory", fMemory)
	add("--cpus", fCPUs)
	if restart.Name != "no" {
		add("--restart", fRestart)
	}
	for _, g := range groups {
		line = append(line, "--group-add", Quote(g))
	}
	line = append(line, Quote(o.Config.Image))
	for _, a := range cmd {
		line = append(line, Quote(a))
	}
	return Result{Options: o, Command: strings.Join(line, " ")}, -1
}

// View draws the form as a box at most width cells wide.
func (m Model) View(th views.Theme, width int) string {
	return m.fields.View(th, form.Layout{Title: "Run a new container (berth run -d)",
		Labels: labels, Hints: hints, LabelWidth: 8, Verb: "run"}, width)
}
