package attach

import (
	"bytes"
	"fmt"
	"strings"
)

// DefaultDetachKeys is Docker's detach sequence: ctrl-p, ctrl-q.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// ctrlNames are the names after "ctrl-" and their codes, as Docker's
// --detach-keys takes them: a letter, or one of @ [ \ ] ^ _.
var ctrlNames = map[string]byte{"@": 0, "[": 27, `\`: 28, "]": 29, "^": 30, "_": 31}

// ParseDetachKeys turns a --detach-keys value (comma-separated keys, each a
// single character or "ctrl-" with a letter or one of @ [ \ ] ^ _, e.g.
// "ctrl-p,ctrl-q" or "ctrl-a,x") into the bytes the terminal sends for them.
func ParseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("detach keys are empty: give keys such as %s", DefaultDetachKeys)
	}
	var out []byte
	for _, k := range strings.Split(s, ",") {
		b, ok := keyCode(k)
		if !ok {
			return nil, fmt.Errorf("detach key %q is not a single character or ctrl- with a letter or one of @ [ \\ ] ^ _", k)
		}
		out = append(out, b)
	}
	return out, nil
}

func keyCode(k string) (byte, bool) {
	if len(k) == 1 {
		return k[0], true
	}
	name, ok := strings.CutPrefix(k, "ctrl-")
	if !ok || len(name) != 1 {
		return 0, false
	}
	if c := name[0]; c >= 'a' && c <= 'z' {
		return c - 'a' + 1, true
	}
	b, ok := ctrlNames[name]
	return b, ok
}

// Detector finds a detach sequence in a stream of input. Bytes that may
// begin the sequence are held back until the sequence completes (then they
// are dropped) or breaks (then they are passed on), as Docker's escape proxy
// does. The zero Detector, or one with no keys, passes everything on.
type Detector struct {
	keys []byte
	held []byte
}

// NewDetector returns a Detector for keys (nil: never detaches).
func NewDetector(keys []byte) *Detector { return &Detector{keys: keys} }

// Feed takes the next input and returns what to pass on; detached is true
// when the sequence completed, and the rest of p is then dropped.
func (d *Detector) Feed(p []byte) (out []byte, detached bool) {
	if len(d.keys) == 0 {
		return p, false
	}
	out = make([]byte, 0, len(p)+len(d.held))
	for _, b := range p {
		d.held = append(d.held, b)
		for len(d.held) > 0 && !bytes.HasPrefix(d.keys, d.held) {
			out = append(out, d.held[0])
			d.held = append(d.held[:0], d.held[1:]...)
		}
		if len(d.held) == len(d.keys) {
			d.held = d.held[:0]
			return out, true
		}
	}
	return out, false
}

// Flush returns the bytes held back, for when input ends.
func (d *Detector) Flush() []byte {
	out := d.held
	d.held = nil
	return out
}
