package engine

import (
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

// TestCheckConfigWorkdir: a working directory must be absolute, as Docker
// says; an empty one (the image's) is fine.
func TestCheckConfigWorkdir(t *testing.T) {
	for _, tc := range []struct {
		wd  string
		bad bool
	}{
		{"", false}, {"/", false}, {"/app/x", false}, {"/a/../b", false},
		{"relative", true}, {"./x", true}, {"~/x", true},
	} {
		err := checkConfig(&Config{WorkingDir: tc.wd}, "bridge")
		if !tc.bad {
			if err != nil {
				t.Errorf("%q: %v", tc.wd, err)
			}
			continue
		}
		want := "the working directory '" + tc.wd + "' is invalid, it needs to be an absolute path"
		if !errdefs.IsInvalidArgument(err) || err.Error() != want {
			t.Errorf("%q: %v, want a 400 saying %q", tc.wd, err, want)
		}
	}
	if err := checkConfig(&Config{Env: []string{"A=" + strings.Repeat("x", 1<<20)}}, ""); !errdefs.IsInvalidArgument(err) {
		t.Errorf("an over-long variable: %v, want it refused", err)
	}
}

// TestCheckConfigJoinedHostname: a container joining another's network
// namespace takes that one's hostname and may not set its own.
func TestCheckConfigJoinedHostname(t *testing.T) {
	for _, tc := range []struct {
		hostname, mode string
		bad            bool
	}{
		{"", "container:web", false}, {"h", "bridge", false}, {"h", "", false}, {"h", "host", false},
		{"h", "container:web", true},
	} {
		err := checkConfig(&Config{Hostname: tc.hostname}, tc.mode)
		if tc.bad != (err != nil) || (tc.bad && (!errdefs.IsInvalidArgument(err) || err.Error() != "conflicting options: hostname and the network mode")) {
			t.Errorf("hostname %q in mode %q: %v", tc.hostname, tc.mode, err)
		}
	}
}
