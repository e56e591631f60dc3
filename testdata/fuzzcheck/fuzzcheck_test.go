package fuzzcheck

import (
	"errors"
	"testing"
)

func TestPlain(t *testing.T) {
	for _, c := range []struct {
		err   error
		in    string
		plain bool
	}{
		{nil, "x", true},
		{errors.New(`invalid restart policy "x"`), "x", true},
		{errors.New(`invalid restart policy "panic"`), "panic", true},
		{errors.New("runtime error: index out of range [3] with length 2"), "x", false},
		{errors.New("bad\nvalue"), "x", false},
		{errors.New("json: cannot unmarshal number into Go struct field Event.type of type string"), "1", false},
		{errors.New("bad %!d(string=x)"), "x", false},
		{errors.New("no such volume: invalid argument"), "x", false},
		{errors.New("invalid value for the field!invalid value for the field!"), "x", false},
		{errors.New(""), "x", false},
	} {
		if got := Plain(c.err, c.in) == ""; got != c.plain {
			t.Errorf("Plain(%q, %q) plain = %v, want %v", c.err, c.in, got, c.plain)
		}
	}
}
