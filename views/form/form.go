// Package form is what berth's `n` forms (run a container, create a network,
// create a volume) share: a column of labelled text inputs with one focused,
// tab/shift+tab (↓/↑) moving the focus, each field checked in place as it is
// edited, enter checking every field and submitting or focusing the first bad
// one, esc cancelling, and the boxed drawing of all that. The forms keep only
// their fields' meaning: labels, hints, checks and the result they build.
package form

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"berth/views"
)

// Step is what Fields.Update made of a message.
type Step int

// The steps.
const (
	// Edited means the message went to the focused input (or moved the
	// focus, or enter found a bad field); the form stays open.
	Edited Step = iota
	// Cancel means esc closed the form.
	Cancel
	// Submit means enter found every field valid: the form builds its result
	// and closes.
	Submit
)

// Check validates every field of fs and returns the reason each one is
// invalid ("" when fine), one per field.
type Check func(fs Fields) []string

// Fields is a form's text inputs, one per field, the focused one and each
// field's error. It is a value: methods copy the inputs before changing them,
// so earlier copies of a form stay as they were.
type Fields struct {
	inputs []textinput.Model
	errs   []string
	focus  int
}

// New returns n empty fields taking at most charLimit characters each, the
// first one focused (call Focus for its command).
func New(n, charLimit int) Fields {
	f := Fields{inputs: make([]textinput.Model, n), errs: make([]string, n)}
	for i := range f.inputs {
		in := textinput.New()
		in.Prompt = ""
		in.CharLimit = charLimit
		f.inputs[i] = in
	}
	return f
}

// Input returns field i's input, for setting up a new form (placeholders,
// preset values); it does not copy.
func (f *Fields) Input(i int) *textinput.Model { return &f.inputs[i] }

// Focus focuses the focused field's input and returns its command.
func (f *Fields) Focus() tea.Cmd { return f.inputs[f.focus].Focus() }

// Value is field i's text, trimmed of spaces.
func (f Fields) Value(i int) string { return strings.TrimSpace(f.inputs[i].Value()) }

// own copies the inputs and errors so that changes do not show through
// other copies of the form.
func (f *Fields) own() {
	f.inputs, f.errs = slices.Clone(f.inputs), slices.Clone(f.errs)
}

// Set sets field i to v and re-checks it.
func (f *Fields) Set(i int, v string, check Check) {
	f.own()
	f.inputs[i].SetValue(v)
	f.errs[i] = check(*f)[i]
}

// Update handles a message: esc cancels, tab/↓ and shift+tab/↑ move the
// focus (wrapping), enter submits when check finds every field valid and
// otherwise shows every error and focuses the first bad field; anything else
// goes to the focused input, which is then re-checked.
func (f *Fields) Update(msg tea.Msg, check Check) (tea.Cmd, Step) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return nil, Cancel
		case "tab", "down":
			return f.move(1), Edited
		case "shift+tab", "up":
			return f.move(-1), Edited
		case "enter":
			if cmd, ok := f.ShowErrors(check(*f)); !ok {
				return cmd, Edited
			}
			return nil, Submit
		}
	}
	f.own()
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	f.errs[f.focus] = check(*f)[f.focus]
	return cmd, Edited
}

// ShowErrors shows the errors (one per field, "" for none) and focuses the
// first bad field; ok says there was none. A form whose checks read the disk
// runs them in a command and shows their result with it.
func (f *Fields) ShowErrors(errs []string) (cmd tea.Cmd, ok bool) {
	bad := slices.IndexFunc(errs, func(e string) bool { return e != "" })
	if bad < 0 {
		return nil, true
	}
	f.own()
	f.errs = errs
	f.inputs[f.focus].Blur()
	f.focus = bad
	return f.inputs[bad].Focus(), false
}

func (f *Fields) move(d int) tea.Cmd {
	f.own()
	n := len(f.inputs)
	f.inputs[f.focus].Blur()
	f.focus = (f.focus + d + n) % n
	return f.inputs[f.focus].Focus()
}

// Layout is what a form draws around its fields.
type Layout struct {
	// Title is the box title.
	Title string
	// Labels and Hints name and explain the fields, one per field; the
	// focused field's hint shows under the fields.
	Labels, Hints []string
	// LabelWidth is the width labels are padded to.
	LabelWidth int
	// Verb is what enter does ("create", "run").
	Verb string
}

// View draws the fields as a box at most width (and 76) cells wide: a line
// per field with its error under it, the focused field's hint and the keys
// (shift+tab/↑ only with more than two fields, where it differs from tab).
func (f Fields) View(th views.Theme, l Layout, width int) string {
	w := min(width, 76)
	inputs := slices.Clone(f.inputs)
	indent := strings.Repeat(" ", l.LabelWidth+2)
	var lines []string
	for i := range inputs {
		label := views.Fit(l.Labels[i], l.LabelWidth)
		if i == f.focus {
			label = th.Key.Render(label)
		}
		inputs[i].SetWidth(w - l.LabelWidth - 6)
		lines = append(lines, " "+label+" "+th.Dim.Render("▏")+inputs[i].View())
		if f.errs[i] != "" {
			lines = append(lines, indent+th.Bad.Render("✗ "+views.Sanitize(strings.TrimSuffix(f.errs[i], ": invalid argument"))))
		}
	}
	keys := " " + th.Key.Render("tab/↓") + " next  "
	if len(inputs) > 2 {
		keys += th.Key.Render("shift+tab/↑") + " previous  "
	}
	keys += th.Key.Render("enter") + " " + l.Verb + "  " + th.Key.Render("esc") + " cancel"
	lines = append(lines, "", " "+th.Dim.Render(l.Hints[f.focus]), "", keys)
	return views.Box(th, l.Title, lines, w, len(lines)+2, true)
}
