package envfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/containerd/errdefs"
)

func lookupOf(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParse(t *testing.T) {
	env := lookupOf(map[string]string{"FROM_HOST": "h", "EMPTY_HOST": ""})
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"pairs", "A=1\nB=2\n", []string{"A=1", "B=2"}},
		{"no final newline", "A=1\nB=2", []string{"A=1", "B=2"}},
		{"crlf", "A=1\r\nB=2\r\n", []string{"A=1", "B=2"}},
		{"comments and blanks", "# c\n\n   \n  # indented\nA=1\n", []string{"A=1"}},
		{"leading space trimmed, trailing kept", "  A=1  \n\tB= x \n", []string{"A=1  ", "B= x "}},
		{"quotes are literal", "A=\"q\"\nB='s'\n", []string{`A="q"`, `B='s'`}},
		{"empty value", "A=\n", []string{"A="}},
		{"equals in value", "A=b=c\n", []string{"A=b=c"}},
		{"bom dropped", "\xEF\xBB\xBFA=1\n", []string{"A=1"}},
		{"lookup", "FROM_HOST\nEMPTY_HOST\nUNSET\n", []string{"FROM_HOST=h", "EMPTY_HOST="}},
		{"hash in value", "A=x#y\n", []string{"A=x#y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in), env)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseLongLines reads lines far past bufio.Scanner's 64 KiB limit, and
// the lines after them.
func TestParseLongLines(t *testing.T) {
	for _, size := range []int{64 << 10, 1 << 20, 3 << 20} {
		long := strings.Repeat("v", size)
		got, err := Parse(strings.NewReader("A=1\nLONG="+long+"\nB=2\n"), nil)
		if err != nil {
			t.Fatalf("%d-byte value: %v", size, err)
		}
		if len(got) != 3 || got[0] != "A=1" || got[1] != "LONG="+long || got[2] != "B=2" {
			t.Errorf("%d-byte value: got %d entries, the long one %d bytes", size, len(got), len(got[1]))
		}
	}
}

func TestParseBadLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"A=1\n=x\n", "line 2 has no variable name"},
		{"A B=1\n", `line 1: variable name "A B" contains white space`},
		{"A=1\nB\t=2\n", `line 2: variable name "B\t" contains white space`},
		{"A=\xff\n", "line 1 is not valid UTF-8"},
		{"A=1\n\nB=x\x00y\n", "line 3 contains a NUL byte"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.in), nil)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error %v, want %q", tt.in, err, tt.want)
		}
		if !errdefs.IsInvalidArgument(err) {
			t.Errorf("Parse(%q) error %v is not an invalid-argument error", tt.in, err)
		}
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "env")
	if err := os.WriteFile(p, []byte("A=1\n B C=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(p, nil)
	if want := "env file " + p + `: line 2: variable name "B C" contains white space`; err == nil || err.Error() != want {
		t.Errorf("bad file: %v, want %q", err, want)
	}
	_, err = ParseFile(filepath.Join(dir, "missing"), nil)
	if want := "cannot read env file " + filepath.Join(dir, "missing") + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("missing file: %v, want %q", err, want)
	}
	if !errdefs.IsInvalidArgument(err) || !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("missing file: %v is not an invalid-argument error", err)
	}
}

// FuzzParse checks that any input either parses into KEY=VALUE entries that
// came from its lines, or fails with an invalid-argument error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "A=1\n", "# c\n  B=2 \r\n", "\xEF\xBB\xBFA=1", "=x", "A B=1",
		"A=\xff", "K\n", "A=x\x00", "\n\n\n", "A=" + strings.Repeat("x", 70000) + "\nB=2"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Parse(bytes.NewReader(in), func(k string) (string, bool) { return "v", k == "K" })
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("error %v is not an invalid-argument error", err)
			}
			return
		}
		for _, kv := range got {
			k, _, ok := strings.Cut(kv, "=")
			if !ok || k == "" || strings.ContainsAny(k, " \t\n") || strings.ContainsAny(kv, "\x00\n") || !utf8.ValidString(kv) {
				t.Fatalf("bad entry %q from %q", kv, in)
			}
			if kv != "K=v" && !bytes.Contains(in, []byte(kv)) {
				t.Fatalf("entry %q is not in the input %q", kv, in)
			}
		}
	})
}
