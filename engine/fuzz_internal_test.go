package engine

import (
	"regexp"
	"strings"
	"testing"

	"berth/testdata/fuzzcheck"
)

// dockerName is Docker's rule for container names.
var dockerName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// FuzzValidateName: a container name is accepted exactly when it matches
// Docker's rule; the error is one plain sentence.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"web", "a", "ab", "-x", "x/y", "é", "a_b.c-d", "a b", "/web", "a\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		if (err == nil) != dockerName.MatchString(name) {
			t.Fatalf("ValidateName(%q) = %v", name, err)
		}
		fuzzcheck.Check(t, err, name)
	})
}

// FuzzDecodeRecord: a container record read back from the store, however
// damaged, decodes or fails with a plain error naming the record as corrupt.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{`{}`, `{"Config":{"Image":"busybox","Env":["A=1"]},"HostConfig":{"Memory":1}}`,
		`{"Config":1}`, `{"HostConfig":{"Memory":"x"}}`, `[`, ``, `null`, `{"Config":{"Labels":{"a":2}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := decodeRecord(data)
		if err != nil {
			fuzzcheck.Check(t, err, string(data))
			if !strings.HasPrefix(err.Error(), "corrupt container record") {
				t.Fatalf("%q: %v", data, err)
			}
		}
	})
}

// FuzzParseOSRelease: any os-release text gives a one-line name.
func FuzzParseOSRelease(f *testing.F) {
	for _, s := range []string{"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\n", "NAME=x", "", "=\n#a=b", "NAME='a\\nb'"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		name, version := parseOSRelease(b)
		if name == "" || strings.ContainsAny(name+version, "\n") {
			t.Fatalf("%q: name %q version %q", b, name, version)
		}
		if parseMemTotal(b) < 0 {
			t.Fatalf("%q: negative memory", b)
		}
	})
}

// TestRecordError: a damaged record's error names the field and the kind of
// value, where it printed json's "Go struct field record.Config of type
// engine.Config".
func TestRecordError(t *testing.T) {
	for in, want := range map[string]string{
		`{"Config":1}`:                  "corrupt container record: Config holds a JSON number of the wrong kind",
		`{"Config":{"Labels":{"a":2}}}`: "corrupt container record: Config.Labels holds a JSON number of the wrong kind",
		`[1]`:                           "corrupt container record: the record is a JSON array, not an object",
		`{"Config":`:                    "corrupt container record: not valid JSON at byte 10",
		`{"Config"x`:                    "corrupt container record: not valid JSON at byte 10",
		`{"Config"`:                     "corrupt container record: not valid JSON at byte 9",
	} {
		if _, err := decodeRecord([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("decodeRecord(%s) = %v, want %q", in, err, want)
		}
	}
}
