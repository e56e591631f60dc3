package spec

import (
	"maps"
	"testing"

	"github.com/containerd/errdefs"

	"berth/testdata/fuzzcheck"
)

// TestValidateSysctls: Docker's namespaced sysctls pass, net.* only with a
// network namespace of the container's own; the others are refused.
func TestValidateSysctls(t *testing.T) {
	for _, tc := range []struct {
		key, val string
		ownNet   bool
		ok       bool
	}{
		{"net.ipv4.ip_unprivileged_port_start", "0", true, true},
		{"net.core.somaxconn", "1024", true, true},
		{"net.ipv4.ip_forward", "1", false, false},
		{"kernel.shmmax", "1000", false, true},
		{"kernel.shm_rmid_forced", "1", true, true},
		{"kernel.msgmnb", "1", true, true},
		{"kernel.sem", "250 32000 32 128", true, true},
		{"fs.mqueue.msg_max", "20", false, true},
		{"kernel.hostname", "x", true, false},
		{"kernel.shm", "1", true, false},
		{"vm.swappiness", "1", true, false},
		{"net", "1", true, false},
		{"net.", "1", true, false},
		{"net..x", "1", true, false},
		{"net/ipv4/ip_forward", "1", true, false},
		{"net.ipv4./../x", "1", true, false},
		{"net.ipv4.ip_forward", "", true, false},
		{"net.ipv4.ip_forward", "1\n2", true, false},
	} {
		err := ValidateSysctls(map[string]string{tc.key: tc.val}, tc.ownNet)
		if tc.ok != (err == nil) || (err != nil && !errdefs.IsInvalidArgument(err)) {
			t.Errorf("%s=%q (own net %v): %v", tc.key, tc.val, tc.ownNet, err)
		}
		fuzzcheck.Check(t, err, tc.key, tc.val)
	}
}

// TestBuildSysctls: the sysctls are the spec's, copied; net.* ones in the
// host's network namespace are refused.
func TestBuildSysctls(t *testing.T) {
	in := map[string]string{"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shmmni": "100"}
	s, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, Sysctls: in}, Host{})
	if err != nil || !maps.Equal(s.Linux.Sysctl, in) {
		t.Fatalf("spec sysctls %v, %v", s.Linux.Sysctl, err)
	}
	s.Linux.Sysctl["x"] = "y"
	if _, ok := in["x"]; ok {
		t.Error("the spec shares the options' map")
	}
	if _, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, Sysctls: in}, Host{ShareHostNet: true}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("net.* with the host's network: %v", err)
	}
}

// FuzzValidateSysctls: an accepted sysctl is a namespaced one whose value
// is one line; a refusal is one plain sentence.
func FuzzValidateSysctls(f *testing.F) {
	for _, s := range [][2]string{{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "1"}, {"fs.mqueue.x", ""},
		{"kernel.hostname", "x"}, {"net..", "1"}, {"net./x", "1"}, {"net.a", "1\n"}, {"", ""}} {
		f.Add(s[0], s[1], true)
	}
	f.Fuzz(func(t *testing.T, k, v string, ownNet bool) {
		err := ValidateSysctls(map[string]string{k: v}, ownNet)
		if err != nil {
			fuzzcheck.Check(t, err, k, v)
			return
		}
		if v == "" || k == "" || (!ownNet && len(k) > 4 && k[:4] == "net.") {
			t.Fatalf("%q=%q (own net %v) accepted", k, v, ownNet)
		}
	})
}
