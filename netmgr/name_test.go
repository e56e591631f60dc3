package netmgr

import (
	"regexp"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/testdata/fuzzcheck"
)

// TestValidateName: Docker's characters, a bounded length whose error does
// not echo a huge name, and the built-in modes reserved.
func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "front_end", "net.1-b", strings.Repeat("n", MaxNameLen)} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"":                         `invalid network name "": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
		"-x":                       `invalid network name "-x": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
		"a/b":                      `invalid network name "a/b": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
		"host":                     `network name "host" is reserved`,
		strings.Repeat("n", 129):   "network name is 129 bytes long; at most 128 are allowed",
		strings.Repeat("n", 1<<20): "network name is 1048576 bytes long; at most 128 are allowed",
	} {
		err := ValidateName(name)
		if !errdefs.IsInvalidArgument(err) || err.Error() != want {
			t.Errorf("ValidateName(%.20q…) = %.80v, want %q", name, err, want)
		}
	}
}

var dockerNetName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// FuzzValidateName: a network name is accepted exactly when it has Docker's
// characters, fits MaxNameLen and is not a mode's name; errors are plain.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"front", "a", "-a", "bridge", "none", "a b", "é", strings.Repeat("x", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		reserved := name == DefaultNetwork || name == "host" || name == "none" || name == "default"
		want := dockerNetName.MatchString(name) && len(name) <= MaxNameLen && !reserved
		if (err == nil) != want {
			t.Fatalf("ValidateName(%q) = %v, want ok=%v", name, err, want)
		}
		fuzzcheck.Check(t, err, name)
	})
}
