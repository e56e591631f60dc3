package attach

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseDetachKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
		bad  string // part of the error, when the value is refused
	}{
		{in: "ctrl-p,ctrl-q", want: []byte{16, 17}},
		{in: "ctrl-a,x", want: []byte{1, 'x'}},
		{in: "x", want: []byte{'x'}},
		{in: "ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", want: []byte{0, 27, 28, 29, 30, 31}},
		{in: "ctrl-z,ctrl-a", want: []byte{26, 1}},
		{in: "e,x,i,t", want: []byte("exit")},
		{in: "", bad: "empty"},
		{in: "ctrl-pp", bad: `"ctrl-pp"`},
		{in: "ctrl-p,", bad: `""`},
		{in: "ctrl-P", bad: `"ctrl-P"`},
		{in: "ctrl-1", bad: `"ctrl-1"`},
		{in: "alt-x", bad: `"alt-x"`},
		{in: "é", bad: `"é"`},
	} {
		got, err := ParseDetachKeys(tc.in)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%q: got %v, %v; want an error naming %s", tc.in, got, err, tc.bad)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%q: got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestDetector(t *testing.T) {
	keys := []byte{16, 17}
	for _, tc := range []struct {
		name     string
		reads    []string
		out      string
		detached bool
	}{
		{"plain", []string{"hello\n"}, "hello\n", false},
		{"sequence", []string{"ab\x10\x11cd"}, "ab", true},
		{"split over reads", []string{"ab\x10", "\x11"}, "ab", true},
		{"broken sequence passes on", []string{"\x10x"}, "\x10x", false},
		{"held across reads then broken", []string{"\x10", "y"}, "\x10y", false},
		{"repeated first key", []string{"\x10\x10\x11"}, "\x10", true},
		{"second key alone", []string{"\x11\x10"}, "\x11", false},
	} {
		d := NewDetector(keys)
		var out []byte
		detached := false
		for _, r := range tc.reads {
			o, det := d.Feed([]byte(r))
			out = append(out, o...)
			if det {
				detached = true
				break
			}
		}
		if string(out) != tc.out || detached != tc.detached {
			t.Errorf("%s: got %q detached=%v, want %q detached=%v", tc.name, out, detached, tc.out, tc.detached)
		}
	}
	d := NewDetector(keys)
	if o, _ := d.Feed([]byte("a\x10")); string(o) != "a" {
		t.Fatalf("held byte passed early: %q", o)
	}
	if rest := d.Flush(); string(rest) != "\x10" {
		t.Errorf("flush at the end of input: %q", rest)
	}
	if o, det := NewDetector(nil).Feed([]byte("\x10\x11")); det || string(o) != "\x10\x11" {
		t.Errorf("no keys: %q %v", o, det)
	}
}

func FuzzDetachKeys(f *testing.F) {
	for _, s := range []string{"ctrl-p,ctrl-q", "ctrl-a,x", "x", "", ",", "ctrl-", "ctrl-@,ctrl-_", "a,b,c,d,e"} {
		f.Add(s, []byte("in\x10\x11put"))
	}
	f.Fuzz(func(t *testing.T, spec string, input []byte) {
		keys, err := ParseDetachKeys(spec)
		if err != nil {
			if strings.Count(err.Error(), "\n") > 0 {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		if len(keys) != strings.Count(spec, ",")+1 {
			t.Fatalf("%q gave %d keys", spec, len(keys))
		}
		// Fed in one piece or byte by byte, the detector passes on the
		// same bytes, and detaches only where the input holds the keys.
		d1, d2 := NewDetector(keys), NewDetector(keys)
		out1, det1 := d1.Feed(input)
		if !det1 {
			out1 = append(out1, d1.Flush()...)
		}
		var out2 []byte
		det2 := false
		for i := range input {
			o, det := d2.Feed(input[i : i+1])
			out2 = append(out2, o...)
			if det {
				det2 = true
				break
			}
		}
		if !det2 {
			out2 = append(out2, d2.Flush()...)
		}
		if det1 != det2 || !bytes.Equal(out1, out2) {
			t.Fatalf("whole %q %v, bytewise %q %v", out1, det1, out2, det2)
		}
		if det1 != bytes.Contains(input, keys) {
			t.Fatalf("detached=%v but input %q contains keys %q: %v", det1, input, keys, bytes.Contains(input, keys))
		}
		if !det1 && !bytes.Equal(out1, input) {
			t.Fatalf("without a detach the input must pass whole: %q -> %q", input, out1)
		}
		if det1 {
			i := bytes.Index(input, keys)
			if !bytes.Equal(out1, input[:i]) {
				t.Fatalf("on detach the bytes before the keys pass: %q -> %q", input, out1)
			}
		}
	})
}
