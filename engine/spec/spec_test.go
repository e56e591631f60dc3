package spec

import (
	"slices"
	"testing"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCapabilities(t *testing.T) {
	bounding := []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"}
	tests := []struct {
		name       string
		privileged bool
		add, drop  []string
		want       []string
		wantErr    bool
	}{
		{"default", false, nil, nil, DefaultCaps(), false},
		{"add by short name", false, []string{"net_admin"}, []string{"ALL"}, []string{"CAP_NET_ADMIN"}, false},
		{"drop all", false, nil, []string{"ALL"}, []string{}, false},
		{"privileged is the bounding set", true, nil, nil, bounding, false},
		{"add all is the bounding set", false, []string{"ALL"}, []string{"ALL"}, bounding, false},
		{"drop one", false, nil, []string{"CAP_KILL"}, without(DefaultCaps(), "CAP_KILL"), false},
		{"unknown", false, []string{"CAP_FLY"}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Capabilities(tt.privileged, tt.add, tt.drop, bounding)
			if tt.wantErr {
				if !errdefs.IsInvalidArgument(err) {
					t.Fatalf("got %v, want invalid argument", err)
				}
				return
			}
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("got %v %v, want %v", got, err, want)
			}
		})
	}
}

func without(list []string, x string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == x })
}

func TestCapsFromMask(t *testing.T) {
	got := CapsFromMask(1<<0 | 1<<21 | 1<<40)
	want := []string{"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestValidateResources(t *testing.T) {
	h := Host{OnlineCPUs: 2, SwapAccount: false}
	neg, mb := int64(-1), int64(1<<20)
	tests := []struct {
		name string
		r    Resources
		ok   bool
	}{
		{"empty", Resources{}, true},
		{"memory", Resources{Memory: 32 * mb}, true},
		{"negative memory", Resources{Memory: neg}, false},
		{"tiny memory", Resources{Memory: mb}, false},
		{"swap without accounting", Resources{Memory: 32 * mb, MemorySwap: 64 * mb}, false},
		{"unlimited swap", Resources{Memory: 32 * mb, MemorySwap: -1}, true},
		{"swap below memory", Resources{Memory: 32 * mb, MemorySwap: mb}, false},
		{"half a cpu", Resources{NanoCPUs: 5e8}, true},
		{"more cpus than host", Resources{NanoCPUs: 3e9}, false},
		{"cpuset", Resources{CpusetCpus: "0-1"}, true},
		{"cpuset out of range", Resources{CpusetCpus: "0,2"}, false},
		{"cpuset garbage", Resources{CpusetCpus: "a-b"}, false},
		{"negative shares", Resources{CPUShares: -2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateResources(tt.r, h)
			if (err == nil) != tt.ok || (err != nil && !errdefs.IsInvalidArgument(err)) {
				t.Errorf("got %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestParseUlimit(t *testing.T) {
	tests := []struct {
		in   string
		want Ulimit
		ok   bool
	}{
		{"nofile=1024:2048", Ulimit{"nofile", 1024, 2048}, true},
		{"nproc=512", Ulimit{"nproc", 512, 512}, true},
		{"nofile=2048:1024", Ulimit{}, false},
		{"bogus=1", Ulimit{}, false},
		{"nofile", Ulimit{}, false},
		{"nofile=x", Ulimit{}, false},
		{"nofile=1:y", Ulimit{}, false},
	}
	for _, tt := range tests {
		got, err := ParseUlimit(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseUlimit(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func FuzzParseUlimit(f *testing.F) {
	for _, s := range []string{"nofile=1024:2048", "nproc=1", "core=-1", "=:", "nofile=9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUlimit(s)
		if err == nil && u.Soft > u.Hard {
			t.Fatalf("%q: soft %d above hard %d", s, u.Soft, u.Hard)
		}
	})
}

func TestBuildDockerDefaults(t *testing.T) {
	s, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, CgroupsPath: "/berth/x"},
		Host{CgroupNS: true, NofileHard: 20000, ContainerDir: "/c"})
	if err != nil {
		t.Fatal(err)
	}
	var ns []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		ns = append(ns, n.Type)
	}
	for _, want := range []specs.LinuxNamespaceType{"pid", "ipc", "uts", "mount", "network", "cgroup"} {
		if !slices.Contains(ns, want) {
			t.Errorf("namespace %s missing: %v", want, ns)
		}
	}
	var dsts []string
	for _, m := range s.Mounts {
		dsts = append(dsts, m.Destination)
	}
	for _, want := range []string{"/proc", "/dev", "/dev/pts", "/sys", "/dev/shm", "/dev/mqueue", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"} {
		if !slices.Contains(dsts, want) {
			t.Errorf("mount %s missing", want)
		}
	}
	if s.Linux.Seccomp == nil || len(s.Linux.MaskedPaths) == 0 || len(s.Linux.ReadonlyPaths) == 0 || s.Process.NoNewPrivileges {
		t.Error("seccomp or masked/readonly paths missing, or no_new_privs set though Docker leaves it off")
	}
	if r := s.Process.Rlimits[0]; r.Type != "RLIMIT_NOFILE" || r.Hard != 20000 {
		t.Errorf("nofile rlimit %+v, want capped at the caller's 20000", r)
	}
	p, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, Privileged: true}, Host{})
	if err != nil || p.Linux.Seccomp != nil || p.Process.NoNewPrivileges || len(p.Linux.MaskedPaths) != 0 {
		t.Errorf("privileged spec keeps confinement: %v", err)
	}
	if _, err := Build(Options{Rootfs: "relative", Args: []string{"sh"}}, Host{}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("relative rootfs: %v", err)
	}
	if _, err := Build(Options{Rootfs: "/r", Resources: Resources{Ulimits: []Ulimit{{"nofile", 1, 30000}}}, Args: []string{"sh"}}, Host{NofileHard: 20000}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("nofile above the hard limit: %v", err)
	}
}

// TestSwapLimit: with only --memory Docker reports (and sets) twice it, or -1
// without swap accounting; --memory-swap, -1 included, is kept.
func TestSwapLimit(t *testing.T) {
	const m = 64 << 20
	tests := []struct {
		r    Resources
		acct bool
		want int64
	}{
		{Resources{}, true, 0},
		{Resources{Memory: m}, true, 2 * m},
		{Resources{Memory: m}, false, -1},
		{Resources{Memory: m, MemorySwap: -1}, true, -1},
		{Resources{Memory: m, MemorySwap: 3 * m}, true, 3 * m},
	}
	for _, tt := range tests {
		if got := tt.r.SwapLimit(Host{SwapAccount: tt.acct}); got != tt.want {
			t.Errorf("%+v (swap accounting %v): SwapLimit %d, want %d", tt.r, tt.acct, got, tt.want)
		}
	}
}
