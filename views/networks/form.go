package networks

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/containerd/errdefs"

	"berth/netmgr"
	"berth/views"
)

// The form's fields, in order.
const (
	fName = iota
	fSubnet
	fGateway
	fInternal
	numFields
)

var labels = [numFields]string{"Name", "Subnet", "Gateway", "Internal"}

var hints = [numFields]string{
	"letters, digits, _ . - (bridge, host and none are taken)",
	"optional CIDR, e.g. 10.123.0.0/24 (a free /24 otherwise)",
	"optional; an address inside the subnet (its first address otherwise)",
	"no or yes: an internal network has no route out",
}

var nameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// Created is a submitted form.
type Created struct {
	// Options create the network.
	Options netmgr.CreateOptions
	// Command is the equivalent `berth network create` line.
	Command string
}

// Form is the `n` form that creates a network.
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
		in.CharLimit = 128
		f.inputs[i] = in
	}
	f.inputs[fSubnet].Placeholder = "picked free"
	f.inputs[fGateway].Placeholder = "the subnet's first address"
	f.inputs[fInternal].Placeholder = "no"
	return f, f.inputs[fName].Focus()
}

// Update handles a message; it returns the result once submitted with valid
// input, and done when the form closed (submitted or cancelled).
func (f Form) Update(msg tea.Msg) (Form, tea.Cmd, *Created, bool) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return f, nil, nil, true
		case "tab", "down":
			return f, f.move(1), nil, false
		case "shift+tab", "up":
			return f, f.move(-1), nil, false
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

func (f *Form) move(d int) tea.Cmd {
	f.inputs[f.focus].Blur()
	f.focus = (f.focus + d + numFields) % numFields
	return f.inputs[f.focus].Focus()
}

// SetValue sets a field by its label ("Name", "Subnet", ...); tests fill the
// form with it.
func (f *Form) SetValue(label, v string) {
	for i, l := range labels {
		if l == label {
			f.inputs[i].SetValue(v)
			f.errs[i] = f.check()[i]
		}
	}
}

func (f Form) value(i int) string { return strings.TrimSpace(f.inputs[i].Value()) }

// ParseCreate checks the form's values as `berth network create` would and
// returns the options; errors are errdefs.ErrInvalidArgument and name the field.
func ParseCreate(name, subnet, gateway, internal string) (netmgr.CreateOptions, [numFields]error) {
	var o netmgr.CreateOptions
	var errs [numFields]error
	bad := func(format string, a ...any) error {
		return fmt.Errorf(format+": %w", append(a, errdefs.ErrInvalidArgument)...)
	}
	switch {
	case name == "":
		errs[fName] = bad("a name is required")
	case !nameRe.MatchString(name) || len(name) > 128:
		errs[fName] = bad("invalid name %q", name)
	case name == netmgr.DefaultNetwork || name == "host" || name == "none" || name == "default":
		errs[fName] = bad("%s is a reserved name", name)
	}
	o.Name = name
	var err error
	if subnet != "" {
		if o.Subnet, err = netip.ParsePrefix(subnet); err != nil || !o.Subnet.Addr().Is4() {
			errs[fSubnet] = bad("invalid subnet %q: want IPv4 CIDR like 10.123.0.0/24", subnet)
		}
	}
	if gateway != "" {
		o.Gateway, err = netip.ParseAddr(gateway)
		switch {
		case err != nil || !o.Gateway.Is4():
			errs[fGateway] = bad("invalid gateway %q", gateway)
		case o.Subnet.IsValid() && !o.Subnet.Contains(o.Gateway):
			errs[fGateway] = bad("gateway %s is outside %s", o.Gateway, o.Subnet)
		}
	}
	switch strings.ToLower(internal) {
	case "", "no", "n", "false":
	case "yes", "y", "true":
		o.Internal = true
	default:
		errs[fInternal] = bad("internal: want yes or no, not %q", internal)
	}
	return o, errs
}

func (f Form) check() [numFields]string {
	_, errs := ParseCreate(f.value(fName), f.value(fSubnet), f.value(fGateway), f.value(fInternal))
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
	o, errs := ParseCreate(f.value(fName), f.value(fSubnet), f.value(fGateway), f.value(fInternal))
	for i, e := range errs {
		if e != nil {
			return Created{}, i
		}
	}
	return Created{Options: o, Command: CreateCommand(o)}, -1
}

// CreateCommand is the `berth network create` line that makes o.
func CreateCommand(o netmgr.CreateOptions) string {
	line := []string{"berth", "network", "create"}
	if o.Subnet.IsValid() {
		line = append(line, "--subnet", o.Subnet.String())
	}
	if o.Gateway.IsValid() {
		line = append(line, "--gateway", o.Gateway.String())
	}
	if o.Internal {
		line = append(line, "--internal")
	}
	return strings.Join(append(line, o.Name), " ")
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
		" "+th.Key.Render("tab/↓")+" next  "+th.Key.Render("shift+tab/↑")+" previous  "+th.Key.Render("enter")+" create  "+th.Key.Render("esc")+" cancel")
	return views.Box(th, "Create a network (berth network create)", lines, w, len(lines)+2, true)
}
