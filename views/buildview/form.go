package buildview

import (
	"berth/engine"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/containerd/errdefs"

	"berth/views"
	"berth/views/form"
	"berth/views/runform"
)

// The form's fields, in order.
const (
	fContext = iota
	fFile
	fTag
	numFields
)

var labels = []string{"Context", "Dockerfile", "Tag"}

var hints = []string{
	"the build context: a directory (empty: the directory berth was started in)",
	"the Dockerfile, relative to the context (empty: Dockerfile)",
	"optional name[:tag] for the image, as -t (e.g. myapp:1.0)",
}

// Request is a submitted form: what to build.
type Request struct {
	// ContextDir is the context directory as given ("." when left empty).
	ContextDir string
	// File is the Dockerfile as given, relative to ContextDir unless absolute
	// ("Dockerfile" when left empty).
	File string
	// Tag names the image ("" for none).
	Tag string
}

// Path is the Dockerfile's path.
func (r Request) Path() string {
	if filepath.IsAbs(r.File) {
		return r.File
	}
	return filepath.Join(r.ContextDir, r.File)
}

// Title names the build: its tag, else its context.
func (r Request) Title() string {
	if r.Tag != "" {
		return r.Tag
	}
	return r.ContextDir
}

// Command is the `berth build` line that does the same build.
func (r Request) Command() string {
	line := []string{"berth", "build"}
	if r.Tag != "" {
		line = append(line, "-t", runform.Quote(r.Tag))
	}
	if r.File != "Dockerfile" {
		line = append(line, "-f", runform.Quote(r.Path()))
	}
	return strings.Join(append(line, runform.Quote(r.ContextDir)), " ")
}

// Options reads the Dockerfile and returns the engine's build options. It
// reads the disk: call it from a command, not from Update.
func (r Request) Options() (engine.BuildOptions, error) {
	o := engine.BuildOptions{ContextDir: r.ContextDir, DockerfileName: filepath.Base(r.File)}
	if r.Tag != "" {
		o.Tags = []string{r.Tag}
	}
	var err error
	if o.Dockerfile, err = os.ReadFile(r.Path()); err != nil {
		return o, fmt.Errorf("read the Dockerfile: %w", err)
	}
	if _, err := os.Stat(r.Path() + ".dockerignore"); err == nil { // as berth build -f
		o.IgnoreFile = r.Path() + ".dockerignore"
	}
	return o, nil
}

// Parse checks the form's values: the context must be a directory, the
// Dockerfile a file in it (or an absolute path), the tag a valid reference.
// It only looks at the disk; errors are errdefs.ErrInvalidArgument.
func Parse(dir, file, tag string) (Request, [numFields]error) {
	r := Request{ContextDir: dir, File: file, Tag: tag}
	if r.ContextDir == "" {
		r.ContextDir = "."
	}
	if r.File == "" {
		r.File = "Dockerfile"
	}
	var errs [numFields]error
	bad := func(f string, a ...any) error { return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(f, a...)) }
	if fi, err := os.Stat(r.ContextDir); err != nil {
		errs[fContext] = bad("directory %s does not exist", r.ContextDir)
	} else if !fi.IsDir() {
		errs[fContext] = bad("%s is not a directory", r.ContextDir)
	} else if fi, err := os.Stat(r.Path()); err != nil {
		errs[fFile] = bad("%s does not exist in the context", r.File)
	} else if !fi.Mode().IsRegular() {
		errs[fFile] = bad("%s is not a regular file", r.File)
	}
	if tag != "" {
		if err := engine.ValidateImageReference(tag); err != nil {
			errs[fTag] = bad("invalid tag %q: want name[:tag] in lower case", tag)
		}
	}
	return r, errs
}

// check is the form's form.Check, run in Update on each key: what can be
// told without the disk (the tag). The context and the Dockerfile are
// checked on submit, in a command (see Update).
func check(fs form.Fields) []string {
	out := make([]string, numFields)
	if tag := fs.Value(fTag); tag != "" && engine.ValidateImageReference(tag) != nil {
		out[fTag] = fmt.Sprintf("invalid tag %q: want name[:tag] in lower case", tag)
	}
	return out
}

// CheckedMsg is the result of the disk checks a submit runs in a command.
type CheckedMsg struct {
	req  Request
	errs [numFields]error
}

// checkDisk runs Parse (which stats the context and the Dockerfile) off
// the UI's goroutine.
func checkDisk(dir, file, tag string) tea.Cmd {
	return func() tea.Msg {
		r, errs := Parse(dir, file, tag)
		return CheckedMsg{req: r, errs: errs}
	}
}

// Form is the `b` form that starts a build.
type Form struct {
	fields form.Fields
}

// NewForm returns an empty form focused on the context directory.
func NewForm() (Form, tea.Cmd) {
	f := Form{fields: form.New(numFields, 4096)}
	f.fields.Input(fContext).Placeholder = "."
	f.fields.Input(fFile).Placeholder = "Dockerfile"
	f.fields.Input(fTag).Placeholder = "none"
	return f, f.fields.Focus()
}

// Update handles a message; it returns the request once submitted with
// valid input, and done when the form closed (submitted or cancelled).
// A submit checks the disk in a command; the form closes when its
// CheckedMsg finds every field valid, and shows the errors otherwise.
func (f Form) Update(msg tea.Msg) (Form, tea.Cmd, *Request, bool) {
	if c, ok := msg.(CheckedMsg); ok {
		errs := make([]string, numFields)
		for i, e := range c.errs {
			if e != nil {
				errs[i] = e.Error()
			}
		}
		if cmd, ok := f.fields.ShowErrors(errs); !ok {
			return f, cmd, nil, false
		}
		return f, nil, &c.req, true
	}
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "enter" {
		return f, checkDisk(f.fields.Value(fContext), f.fields.Value(fFile), f.fields.Value(fTag)), nil, false
	}
	cmd, step := f.fields.Update(msg, check)
	if step == form.Cancel {
		return f, nil, nil, true
	}
	return f, cmd, nil, false
}

// SetValue sets a field by its label ("Context", "Dockerfile", "Tag"); tests
// fill the form with it.
func (f *Form) SetValue(label, v string) {
	if i := slices.Index(labels, label); i >= 0 {
		f.fields.Set(i, v, check)
	}
}

// View draws the form as a box at most width cells wide.
func (f Form) View(th views.Theme, width int) string {
	return f.fields.View(th, form.Layout{Title: "Build an image (berth build)",
		Labels: labels, Hints: hints, LabelWidth: 10, Verb: "build"}, width)
}
