package volumes

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/volumes"
)

func TestParseCreate(t *testing.T) {
	cases := []struct {
		name, labels string
		want         map[string]string
		bad          int // the invalid field, or -1
		command      string
	}{
		{"data", "", map[string]string{}, -1, "berth volume create data"},
		{"", "a=1, b=2", map[string]string{"a": "1", "b": "2"}, -1, "berth volume create --label a=1 --label b=2"},
		{"xy", "flag", map[string]string{"flag": ""}, -1, "berth volume create --label flag= xy"},
		{"bad/name", "", nil, fName, ""},
		{"..", "", nil, fName, ""},
		{"ok", "=v", nil, fLabels, ""},
	}
	for _, c := range cases {
		ls, errs := ParseCreate(c.name, c.labels)
		bad := -1
		for i, e := range errs {
			if e != nil && bad < 0 {
				bad = i
				if !errors.Is(e, errdefs.ErrInvalidArgument) {
					t.Errorf("%q %q: %v is not invalid-argument", c.name, c.labels, e)
				}
			}
		}
		if bad != c.bad {
			t.Errorf("ParseCreate(%q, %q): invalid field %d, want %d (%v)", c.name, c.labels, bad, c.bad, errs)
			continue
		}
		if bad < 0 && (!maps.Equal(ls, c.want) || CreateCommand(c.name, ls) != c.command) {
			t.Errorf("ParseCreate(%q, %q) = %v, %q", c.name, c.labels, ls, CreateCommand(c.name, ls))
		}
	}
}

func FuzzParseCreate(f *testing.F) {
	f.Add("data", "a=1,b=2")
	f.Add("", "=")
	f.Add("x/..", "k=v=w  ,")
	f.Fuzz(func(t *testing.T, name, labels string) {
		ls, errs := ParseCreate(name, labels)
		if errs[fName] == nil && name != "" && volumes.ValidateName(name) != nil {
			t.Errorf("accepted invalid name %q", name)
		}
		for k := range ls {
			if k == "" || strings.ContainsAny(k, ", ") {
				t.Errorf("label key %q from %q", k, labels)
			}
		}
	})
}

func TestUsesAndPrunable(t *testing.T) {
	cs := []*engine.Container{
		{Name: "/b", State: engine.State{Status: "running"}, Mounts: []engine.MountPoint{
			{Type: "volume", Name: "data", Destination: "/z", RW: true}, {Type: "bind", Name: "", Source: "/data", Destination: "/y"}}},
		{Name: "/a", State: engine.State{Status: "exited"}, Mounts: []engine.MountPoint{{Type: "volume", Name: "data", Destination: "/d"}}},
		{Name: "/c", Mounts: []engine.MountPoint{{Type: "volume", Name: "other", Destination: "/d"}}},
	}
	uses := UsesOf("data", cs)
	if len(uses) != 2 || uses[0].Container != "a" || Mode(uses[0].Mount) != "ro" || uses[1].Mount.Destination != "/z" || Mode(uses[1].Mount) != "rw" {
		t.Errorf("UsesOf = %+v", uses)
	}
	rows := []Row{{Vol: volumes.Volume{Name: "n"}}, {Vol: volumes.Volume{Name: "a1", Anonymous: true}},
		{Vol: volumes.Volume{Name: "a2", Anonymous: true, UsedBy: []string{"x"}}}}
	if p := Prunable(rows); len(p) != 1 || p[0].Vol.Name != "a1" {
		t.Errorf("Prunable = %+v", p)
	}
}
