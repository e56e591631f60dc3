package volumes

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/containerd/errdefs"

	"berth/views"
	"berth/volumes"
)

// The form's fields, in order.
const (
	fName = iota
	fLabels
	numFields
)

var labels = [numFields]string{"Name", "Labels"}

var hints = [numFields]string{
	"letters, digits, _ . - (empty: a random 64-hex name)",
	"optional key=value pairs separated by spaces or commas",
}

// Created is a submitted form.
type Created struct {
	// Name is the volume's name ("" for a generated one).
	Name string
	// Labels are its labels.
	Labels map[string]string
	// Command is the equivalent `berth volume create` line.
	Command string
}

// Form is the `n` form that creates a volume.
type Form struct {
	inputs [numFields]textinput.Model
	errs   [numFields]string
	focus  int
}

// NewForm returns an empty form focused on the name.
func NewForm() (Form, tea.Cmd) {
	var f Form
	for i := range f.inputs {
		in := textinput.New()
		in.Prompt = ""
		in.CharLimit = 256
		f.inputs[i] = in
	}
	f.inputs[fName].Placeholder = "random"
	f.inputs[fLabels].Placeholder = "none"
	return f, f.inputs[fName].Focus()
}

// Update handles a message; it returns the result once submitted with valid
// input, and done when the form closed (submitted or cancelled).
func (f Form) Update(msg tea.Msg) (Form, tea.Cmd, *Created, bool) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return f, nil, nil, true
		case "tab", "down", "shift+tab", "up":
			f.inputs[f.focus].Blur()
			f.focus = (f.focus + 1) % numFields // two fields: either way is the other
			return f, f.inputs[f.focus].Focus(), nil, false
		case "enter":
			res, bad := f.Submit()
			if bad < 0 {
				return f, nil, &res, true
			}
			f.errs = f.check()
			f.inputs[f.focus].Blur()
			f.focus = bad
			return f, f.inputs[bad].Focus(), nil, false
		}
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	f.errs[f.focus] = f.check()[f.focus]
	return f, cmd, nil, false
}

// SetValue sets a field by its label ("Name", "Labels"); tests fill the form
// with it.
func (f *Form) SetValue(label, v string) {
	for i, l := range labels {
		if l == label {
			f.inputs[i].SetValue(v)
			f.errs[i] = f.check()[i]
		}
	}
}

func (f Form) value(i int) string { return strings.TrimSpace(f.inputs[i].Value()) }

// ParseCreate checks the form's values as `berth volume create` would; errors
// are errdefs.ErrInvalidArgument.
func ParseCreate(name, labelText string) (map[string]string, [numFields]error) {
	var errs [numFields]error
	if name != "" {
		errs[fName] = volumes.ValidateName(name)
	}
	ls := map[string]string{}
	for _, kv := range strings.FieldsFunc(labelText, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			errs[fLabels] = fmt.Errorf("invalid label %q: want key=value: %w", kv, errdefs.ErrInvalidArgument)
			break
		}
		ls[k] = v
	}
	return ls, errs
}

func (f Form) check() [numFields]string {
	_, errs := ParseCreate(f.value(fName), f.value(fLabels))
	var out [numFields]string
	for i, e := range errs {
		if e != nil {
			out[i] = e.Error()
		}
	}
	return out
}

// Submit builds the result, or returns the index of the first invalid field.
func (f Form) Submit() (Created, int) {
	ls, errs := ParseCreate(f.value(fName), f.value(fLabels))
	for i, e := range errs {
		if e != nil {
			return Created{}, i
		}
	}
	return Created{Name: f.value(fName), Labels: ls, Command: CreateCommand(f.value(fName), ls)}, -1
}

// CreateCommand is the `berth volume create` line that makes the volume.
func CreateCommand(name string, ls map[string]string) string {
	line := []string{"berth", "volume", "create"}
	keys := make([]string, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line = append(line, "--label", k+"="+ls[k])
	}
	if name != "" {
		line = append(line, name)
	}
	return strings.Join(line, " ")
}

// View draws the form as a box at most width cells wide.
func (f Form) View(th views.Theme, width int) string {
	w := min(width, 76)
	var lines []string
	for i := range f.inputs {
		label := views.Fit(labels[i], 9)
		if i == f.focus {
			label = th.Key.Render(label)
		}
		f.inputs[i].SetWidth(w - 15)
		lines = append(lines, " "+label+" "+th.Dim.Render("▏")+f.inputs[i].View())
		if f.errs[i] != "" {
			lines = append(lines, "           "+th.Bad.Render("✗ "+views.Sanitize(strings.TrimSuffix(f.errs[i], ": invalid argument"))))
		}
	}
	lines = append(lines, "", " "+th.Dim.Render(hints[f.focus]), "",
		" "+th.Key.Render("tab/↓")+" next  "+th.Key.Render("enter")+" create  "+th.Key.Render("esc")+" cancel")
	return views.Box(th, "Create a volume (berth volume create)", lines, w, len(lines)+2, true)
}
