// Package dialog is the modal dialogs: a yes/no confirmation that lists what
// an action will touch, a choice from a list (kill signals), and a text
// prompt whose input is checked in place (rename).
package dialog

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"berth/views"
)

// Kind is the dialog's kind.
type Kind int

// The dialog kinds.
const (
	Confirm Kind = iota
	Choice
	Prompt
)

// Result is what a key did to the dialog.
type Result struct {
	// Done is true once the dialog closed; Accepted whether it was accepted.
	Done, Accepted bool
	// Value is the chosen option or the typed text.
	Value string
}

// Model is one dialog.
type Model struct {
	kind     Kind
	title    string
	lines    []string
	options  []string
	cursor   int
	input    textinput.Model
	validate func(string) error
	err      string
}

// NewConfirm asks a yes/no question; lines say what will happen.
func NewConfirm(title string, lines []string) Model {
	return Model{kind: Confirm, title: title, lines: lines}
}

// NewChoice asks to pick one of options.
func NewChoice(title string, options []string) Model {
	return Model{kind: Choice, title: title, options: options}
}

// NewPrompt asks for text, starting from value; validate flags bad input in
// place (nil accepts anything).
func NewPrompt(title, value string, validate func(string) error) (Model, tea.Cmd) {
	in := textinput.New()
	in.Prompt = "> "
	in.CharLimit = 128
	in.SetValue(value)
	in.CursorEnd()
	cmd := in.Focus()
	return Model{kind: Prompt, title: title, input: in, validate: validate}, cmd
}

// Update handles a message.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd, Result) {
	k, isKey := msg.(tea.KeyPressMsg)
	if isKey && k.String() == "esc" {
		return m, nil, Result{Done: true}
	}
	switch m.kind {
	case Confirm:
		if isKey {
			switch k.String() {
			case "y", "Y", "enter":
				return m, nil, Result{Done: true, Accepted: true}
			case "n", "N", "q":
				return m, nil, Result{Done: true}
			}
		}
	case Choice:
		if isKey {
			switch k.String() {
			case "j", "down", "tab":
				m.cursor = (m.cursor + 1) % len(m.options)
			case "k", "up", "shift+tab":
				m.cursor = (m.cursor - 1 + len(m.options)) % len(m.options)
			case "enter":
				return m, nil, Result{Done: true, Accepted: true, Value: m.options[m.cursor]}
			}
		}
	case Prompt:
		if isKey && k.String() == "enter" {
			v := strings.TrimSpace(m.input.Value())
			if m.validate != nil {
				if err := m.validate(v); err != nil {
					m.err = err.Error()
					return m, nil, Result{}
				}
			}
			return m, nil, Result{Done: true, Accepted: true, Value: v}
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		m.err = ""
		return m, cmd, Result{}
	}
	return m, nil, Result{}
}

// View draws the dialog as a box at most width cells wide.
func (m Model) View(th views.Theme, width int) string {
	w := min(width, 64)
	var lines []string
	for _, l := range m.lines {
		lines = append(lines, " "+l)
	}
	switch m.kind {
	case Confirm:
		lines = append(lines, "", " "+th.Key.Render("y")+" yes   "+th.Key.Render("n/esc")+" no")
	case Choice:
		for i, o := range m.options {
			l := "   " + o
			if i == m.cursor {
				l = th.Selected.Render(" > " + o + " ")
			}
			lines = append(lines, l)
		}
		lines = append(lines, "", " "+th.Key.Render("j/k")+" move  "+th.Key.Render("enter")+" choose  "+th.Key.Render("esc")+" cancel")
	case Prompt:
		m.input.SetWidth(w - 6)
		lines = append(lines, " "+m.input.View())
		if m.err != "" {
			lines = append(lines, " "+th.Bad.Render(m.err))
		}
		lines = append(lines, "", " "+th.Key.Render("enter")+" ok  "+th.Key.Render("esc")+" cancel")
	}
	var wrapped []string
	for _, l := range lines {
		for _, part := range views.Wrap(strings.TrimPrefix(l, " "), w-3) {
			wrapped = append(wrapped, " "+part)
		}
	}
	return views.Box(th, m.title, wrapped, w, len(wrapped)+2, true)
}
