package networks

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/netmgr"
	"berth/views"
)

func TestParseCreate(t *testing.T) {
	cases := []struct {
		name, subnet, gateway, internal string
		bad                             int // field that fails, -1 none
		cmd                             string
	}{
		{"api", "", "", "", -1, "berth network create api"},
		{"api", "10.99.0.0/24", "10.99.0.254", "yes", -1, "berth network create --subnet 10.99.0.0/24 --gateway 10.99.0.254 --internal api"},
		{"", "", "", "", fName, ""},
		{"-bad", "", "", "", fName, ""},
		{"bridge", "", "", "", fName, ""},
		{"api", "10.9", "", "", fSubnet, ""},
		{"api", "fd00::/64", "", "", fSubnet, ""},
		{"api", "10.99.0.0/24", "10.98.0.1", "", fGateway, ""},
		{"api", "", "nope", "", fGateway, ""},
		{"api", "", "", "maybe", fInternal, ""},
	}
	for _, c := range cases {
		o, errs := ParseCreate(c.name, c.subnet, c.gateway, c.internal)
		got := -1
		for i, e := range errs {
			if e != nil {
				if !errors.Is(e, errdefs.ErrInvalidArgument) {
					t.Errorf("%+v: %v is not invalid-argument", c, e)
				}
				if got < 0 {
					got = i
				}
			}
		}
		if got != c.bad {
			t.Errorf("%+v: first bad field %d, want %d (%v)", c, got, c.bad, errs)
		}
		if c.bad < 0 {
			if cmd := CreateCommand(o); cmd != c.cmd {
				t.Errorf("%+v: command %q, want %q", c, cmd, c.cmd)
			}
		}
	}
}

func FuzzParseCreate(f *testing.F) {
	f.Add("api", "10.99.0.0/24", "10.99.0.1", "yes")
	f.Add("", "x", "y", "z")
	f.Add("a.b-c", "0.0.0.0/0", "", "no")
	f.Fuzz(func(t *testing.T, name, subnet, gateway, internal string) {
		o, errs := ParseCreate(name, subnet, gateway, internal)
		for _, e := range errs {
			if e != nil {
				return
			}
		}
		if o.Name != name || o.Name == "" {
			t.Errorf("accepted name %q as %q", name, o.Name)
		}
		if o.Gateway.IsValid() && o.Subnet.IsValid() && !o.Subnet.Contains(o.Gateway) {
			t.Errorf("accepted gateway %s outside %s", o.Gateway, o.Subnet)
		}
	})
}

// TestBuiltinRows: host and none show no subnet or gateway and are never
// offered to prune (engine/inspect tests their inspect shape).
func TestBuiltinRows(t *testing.T) {
	bridge := netmgr.Network{ID: "b1", Name: "bridge", Driver: "bridge", Subnet: netip.MustParsePrefix("10.213.0.0/24"),
		Gateway: netip.MustParseAddr("10.213.0.1"), Bridge: "berth0"}
	host := netmgr.Network{ID: "h1", Name: "host", Driver: "host"}
	none := netmgr.Network{ID: "n1", Name: "none", Driver: "null"}
	app := netmgr.Network{ID: "a1", Name: "app", Driver: "bridge", Subnet: netip.MustParsePrefix("10.1.0.0/24"),
		Gateway: netip.MustParseAddr("10.1.0.1"), Bridge: "berth-a1"}
	rows := []Row{{Net: bridge}, {Net: host}, {Net: none}, {Net: app}}
	if got := Unused(rows); len(got) != 1 || got[0].Net.Name != "app" {
		t.Errorf("unused: %+v", got)
	}
	cs := cells(views.Theme{}, Row{Net: host}, time.Now())
	if cs[2] != "-" || cs[3] != "-" || cs[1] != "host" {
		t.Errorf("host cells: %q", cs)
	}
	if got := filterText(Row{Net: none}); got != "none - null" {
		t.Errorf("filter text: %q", got)
	}
}
