package networks

import (
	"berth/engine"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/containerd/errdefs"

	"berth/views"
	"berth/views/form"
)

// The form's fields, in order.
const (
	fName = iota
	fSubnet
	fGateway
	fInternal
	numFields
)

var labels = []string{"Name", "Subnet", "Gateway", "Internal"}

var hints = []string{
	"letters, digits, _ . - (bridge, host and none are taken)",
	"optional CIDR, e.g. 10.123.0.0/24 (a free /24 otherwise)",
	"optional; an address inside the subnet (its first address otherwise)",
	"no or yes: an internal network has no route out",
}

var nameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// Created is a submitted form.
type Created struct {
	// Options create the network.
	Options engine.NetworkCreateOptions
	// Command is the equivalent `berth network create` line.
	Command string
}

// Form is the `n` form that creates a network.
type Form struct {
	fields form.Fields
}

// NewForm returns an empty form focused on the name.
func NewForm() (Form, tea.Cmd) {
	f := Form{fields: form.New(numFields, 128)}
	f.fields.Input(fSubnet).Placeholder = "picked free"
	f.fields.Input(fGateway).Placeholder = "the subnet's first address"
	f.fields.Input(fInternal).Placeholder = "no"
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

// SetValue sets a field by its label ("Name", "Subnet", ...); tests fill the
// form with it.
func (f *Form) SetValue(label, v string) {
	if i := slices.Index(labels, label); i >= 0 {
		f.fields.Set(i, v, check)
	}
}

// ParseCreate checks the form's values as `berth network create` would and
// returns the options; errors are errdefs.ErrInvalidArgument and name the field.
func ParseCreate(name, subnet, gateway, internal string) (engine.NetworkCreateOptions, [numFields]error) {
	var o engine.NetworkCreateOptions
	var errs [numFields]error
	bad := func(format string, a ...any) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, a...))
	}
	switch {
	case name == "":
		errs[fName] = bad("a name is required")
	case !nameRe.MatchString(name) || len(name) > 128:
		errs[fName] = bad("invalid name %q", name)
	case engine.PredefinedNetwork(name) || name == "default":
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

// check is the form's form.Check: ParseCreate's errors as text.
func check(fs form.Fields) []string {
	_, errs := ParseCreate(fs.Value(fName), fs.Value(fSubnet), fs.Value(fGateway), fs.Value(fInternal))
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
	v := f.fields.Value
	o, errs := ParseCreate(v(fName), v(fSubnet), v(fGateway), v(fInternal))
	for i, e := range errs {
		if e != nil {
			return Created{}, i
		}
	}
	return Created{Options: o, Command: CreateCommand(o)}, -1
}

// CreateCommand is the `berth network create` line that makes o.
func CreateCommand(o engine.NetworkCreateOptions) string {
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
	return f.fields.View(th, form.Layout{Title: "Create a network (berth network create)",
		Labels: labels, Hints: hints, LabelWidth: 9, Verb: "create"}, width)
}
