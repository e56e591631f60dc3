package volumes

import (
	"berth/engine"
	"slices"
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"

	"berth/engine/opts"
	"berth/views"
	"berth/views/form"
)

// The form's fields, in order.
const (
	fName = iota
	fLabels
	numFields
)

var labels = []string{"Name", "Labels"}

var hints = []string{
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
	fields form.Fields
}

// NewForm returns an empty form focused on the name.
func NewForm() (Form, tea.Cmd) {
	f := Form{fields: form.New(numFields, 256)}
	f.fields.Input(fName).Placeholder = "random"
	f.fields.Input(fLabels).Placeholder = "none"
	return f, f.fields.Focus()
}

// Update handles a message; it returns the result once submitted with valid
// input, and done when the form closed (submitted or cancelled).
func (f Form) Update(msg tea.Msg) (Form, tea.Cmd, *Created, bool) {
	cmd, step := f.fields.Update(msg, check)
	switch step {
	case form.Cancel:
		return f, nil, nil, true
	case form.Submit:
		res, _ := f.Submit()
		return f, nil, &res, true
	}
	return f, cmd, nil, false
}

// SetValue sets a field by its label ("Name", "Labels"); tests fill the form
// with it.
func (f *Form) SetValue(label, v string) {
	if i := slices.Index(labels, label); i >= 0 {
		f.fields.Set(i, v, check)
	}
}

// ParseCreate checks the form's values as `berth volume create` would; errors
// are errdefs.ErrInvalidArgument.
func ParseCreate(name, labelText string) (map[string]string, [numFields]error) {
	var errs [numFields]error
	if name != "" {
		errs[fName] = engine.ValidateVolumeName(name)
	}
	// The labels are --label values (engine/opts), comma or blank separated.
	ls, err := opts.ParseLabels(strings.FieldsFunc(labelText, func(r rune) bool { return r == ',' || r == ' ' }))
	if err != nil {
		errs[fLabels] = err
	}
	return ls, errs
}

// check is the form's form.Check: ParseCreate's errors as text.
func check(fs form.Fields) []string {
	_, errs := ParseCreate(fs.Value(fName), fs.Value(fLabels))
	out := make([]string, numFields)
	for i, e := range errs {
		if e != nil {
			out[i] = e.Error()
		}
	}
	return out
}

// Submit builds the result, or returns the index of the first invalid field.
func (f Form) Submit() (Created, int) {
	ls, errs := ParseCreate(f.fields.Value(fName), f.fields.Value(fLabels))
	for i, e := range errs {
		if e != nil {
			return Created{}, i
		}
	}
	return Created{Name: f.fields.Value(fName), Labels: ls, Command: CreateCommand(f.fields.Value(fName), ls)}, -1
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
	return f.fields.View(th, form.Layout{Title: "Create a volume (berth volume create)",
		Labels: labels, Hints: hints, LabelWidth: 9, Verb: "create"}, width)
}
