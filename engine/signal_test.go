package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want unix.Signal
		ok   bool
	}{
		{"SIGTERM", unix.SIGTERM, true}, {"term", unix.SIGTERM, true}, {"KILL", unix.SIGKILL, true},
		{"9", unix.SIGKILL, true}, {"SIGUSR1", unix.SIGUSR1, true}, {"0", 0, false}, {"65", 0, false},
		{"SIGNOPE", 0, false}, {"", 0, false},
		{"SIGRTMIN+3", 37, true}, {"rtmin", 34, true}, {"SIGRTMAX-1", 63, true}, {"RTMAX", 64, true},
		{"SIGRTMIN-1", 0, false}, {"SIGRTMIN+", 0, false}, {"RTMIN+31", 0, false}, {"SIG", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSignal(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSignal(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"SIGTERM", "9", "usr1", "-1", "SIGRTMIN+3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignal(s)
		if err == nil && (sig <= 0 || sig > 64) {
			t.Fatalf("%q gave %d", s, sig)
		}
	})
}

func TestMergeEnv(t *testing.T) {
	tests := []struct{ base, over, want []string }{
		{[]string{"PATH=/bin", "A=1"}, []string{"A=2", "B=3"}, []string{"PATH=/bin", "A=2", "B=3"}},
		{[]string{"A=1", "A=0"}, []string{"A=2"}, []string{"A=2", "A=2"}},
		{nil, []string{"B=1", "B=2", "C"}, []string{"B=2", "C"}},
		{[]string{"A=1"}, nil, []string{"A=1"}},
	}
	for _, tt := range tests {
		if got := mergeEnv(tt.base, tt.over); !slices.Equal(got, tt.want) {
			t.Errorf("mergeEnv(%q, %q) = %q, want %q", tt.base, tt.over, got, tt.want)
		}
	}
	// 100,000 variables over an image's: every one kept, in order.
	var over []string
	for i := range 100000 {
		over = append(over, fmt.Sprintf("E%d=%d", i, i))
	}
	got := mergeEnv([]string{"PATH=/bin", "E7=image"}, over)
	if len(got) != 100001 || got[1] != "E7=7" || got[100000] != "E99999=99999" {
		t.Fatalf("merged %d variables: %q … %q", len(got), got[:3], got[len(got)-1])
	}
}

// TestUserEnvFirst checks a container's environment against dockerd's
// order: the user's variables as given, then the image's the user did not set.
func TestUserEnvFirst(t *testing.T) {
	tests := []struct{ user, image, want []string }{
		{nil, []string{"PATH=/bin", "A=1"}, []string{"PATH=/bin", "A=1"}},
		{[]string{"A=2", "B=3"}, []string{"PATH=/bin", "A=1"}, []string{"A=2", "B=3", "PATH=/bin"}},
		{[]string{"PATH=/usr/bin"}, []string{"PATH=/bin"}, []string{"PATH=/usr/bin"}},
		{[]string{"B=1", "B=2", "C"}, nil, []string{"B=1", "B=2", "C"}},
		{[]string{"C"}, []string{"C=image"}, []string{"C"}},
	}
	for _, tt := range tests {
		if got := userEnvFirst(tt.user, tt.image); !slices.Equal(got, tt.want) {
			t.Errorf("userEnvFirst(%q, %q) = %q, want %q", tt.user, tt.image, got, tt.want)
		}
	}
}

func TestDropUnset(t *testing.T) {
	got := dropUnset([]string{"A=1", "B", "C=", "=x", "D"})
	if strings.Join(got, " ") != "A=1 C= =x" {
		t.Errorf("dropUnset: %q", got)
	}
	if got := dropUnset(mergeEnv([]string{"PATH=/bin", "B=image"}, []string{"B"})); strings.Join(got, " ") != "PATH=/bin" {
		t.Errorf("an exec's -e B over the container's B=image: %q", got)
	}
}
