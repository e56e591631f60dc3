package engine

import (
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

// TestValidateSandbox: create checks the sandbox settings of a new
// container for every front end, and fills in Docker's default /dev/shm size.
func TestValidateSandbox(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    HostConfig
		want string // "" passes
	}{
		{"defaults", HostConfig{}, ""},
		{"shm", HostConfig{ShmSize: 1 << 30}, ""},
		{"negative shm", HostConfig{ShmSize: -1}, "shm size -1 is negative"},
		{"net sysctl", HostConfig{Sysctls: map[string]string{"net.core.somaxconn": "1"}}, ""},
		{"net sysctl none", HostConfig{NetworkMode: modeNone, Sysctls: map[string]string{"net.core.somaxconn": "1"}}, ""},
		{"net sysctl host", HostConfig{NetworkMode: modeHost, Sysctls: map[string]string{"net.core.somaxconn": "1"}}, "sysctl net.core.somaxconn is not allowed in the network namespace of the host"},
		{"net sysctl container", HostConfig{NetworkMode: "container:x", Sysctls: map[string]string{"net.core.somaxconn": "1"}}, "of another container"},
		{"ipc sysctl host", HostConfig{NetworkMode: modeHost, Sysctls: map[string]string{"kernel.shmmax": "1"}}, ""},
		{"other sysctl", HostConfig{Sysctls: map[string]string{"kernel.hostname": "x"}}, "sysctl kernel.hostname is not allowed"},
		{"oom", HostConfig{OomScoreAdj: -1000}, ""},
		{"oom range", HostConfig{OomScoreAdj: 1001}, "oom score adjustment 1001 is out of range"},
		{"search", HostConfig{DNSSearch: []string{"a b"}}, `DNS search domain "a b" is not one word`},
		{"option", HostConfig{DNSOptions: []string{""}}, `DNS option "" is not one word`},
	} {
		err := validateSandbox(&tc.h)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (!errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	h := HostConfig{}
	if validateSandbox(&h); h.ShmSize != 64<<20 {
		t.Errorf("default ShmSize %d, want 64 MiB", h.ShmSize)
	}
}
