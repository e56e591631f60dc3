package attach

import (
	"bytes"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var b bytes.Buffer
	frames := []struct {
		k Kind
		p []byte
	}{{Stdout, []byte("hello\n")}, {Stderr, nil}, {Resize, ResizePayload(120, 40)}, {Exit, ExitPayload(137)}}
	for _, f := range frames {
		if err := WriteFrame(&b, f.k, f.p); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range frames {
		k, p, err := ReadFrame(&b)
		if err != nil || k != f.k || !bytes.Equal(p, f.p) && len(f.p) > 0 {
			t.Fatalf("got %v %q %v, want %v %q", k, p, err, f.k, f.p)
		}
	}
	if w, h, err := ParseResize(ResizePayload(120, 40)); err != nil || w != 120 || h != 40 {
		t.Errorf("resize: %d %d %v", w, h, err)
	}
	if c, err := ParseExit(ExitPayload(137)); err != nil || c != 137 {
		t.Errorf("exit: %d %v", c, err)
	}
	if err := WriteFrame(&b, Stdout, make([]byte, MaxPayload+1)); err == nil {
		t.Error("oversized frame accepted")
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 2, 'h', 'i'})
	f.Add([]byte{4, 0, 0, 0, 0, 0, 0, 4, 0, 80, 0, 24})
	f.Add([]byte{3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			k, p, err := ReadFrame(r)
			if err != nil {
				return
			}
			if len(p) > MaxPayload {
				t.Fatalf("payload of %d bytes", len(p))
			}
			switch k {
			case Resize:
				ParseResize(p)
			case Exit:
				ParseExit(p)
			}
		}
	})
}
