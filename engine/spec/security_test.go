package spec

import (
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const mkdirProfile = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`

func TestParseSecurityOpts(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		opts []string
		want Security
		bad  string // a word the error must contain; "" when valid
	}{
		{"none", nil, Security{}, ""},
		{"no-new-privileges", []string{"no-new-privileges"}, Security{NoNewPrivileges: &yes}, ""},
		{"no-new-privileges=false", []string{"no-new-privileges=false"}, Security{NoNewPrivileges: &no}, ""},
		{"old colon form", []string{"no-new-privileges:true"}, Security{NoNewPrivileges: &yes}, ""},
		{"last one wins", []string{"no-new-privileges", "no-new-privileges=0"}, Security{NoNewPrivileges: &no}, ""},
		{"seccomp unconfined", []string{"seccomp=unconfined"}, Security{Seccomp: SeccompUnconfined}, ""},
		{"seccomp builtin", []string{"seccomp:builtin"}, Security{Seccomp: SeccompBuiltin}, ""},
		{"seccomp profile", []string{"seccomp=" + mkdirProfile}, Security{Seccomp: mkdirProfile}, ""},
		{"systempaths", []string{"systempaths=unconfined"}, Security{UnmaskPaths: true}, ""},
		{"label disable", []string{"label=disable", "label:disable", "disable"}, Security{}, ""},
		{"apparmor unconfined", []string{"apparmor=unconfined"}, Security{}, ""},
		{"selinux label", []string{"label=type:svirt_t"}, Security{}, "SELinux"},
		{"apparmor profile", []string{"apparmor=docker-default"}, Security{}, "AppArmor"},
		{"bad bool", []string{"no-new-privileges=maybe"}, Security{}, "no-new-privileges=true"},
		{"empty value", []string{"seccomp="}, Security{}, "want"},
		{"unknown key", []string{"writable-cgroups=true"}, Security{}, "want"},
		{"no separator", []string{"nonsense"}, Security{}, "want"},
		{"systempaths other", []string{"systempaths=confined"}, Security{}, "systempaths=unconfined"},
		{"profile not JSON", []string{"seccomp=/etc/profile.json"}, Security{}, "seccomp profile"},
		{"profile bad action", []string{`seccomp={"defaultAction":"SCMP_ACT_NOPE"}`}, Security{}, "SCMP_ACT_NOPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSecurityOpts(tt.opts)
			if tt.bad != "" {
				if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tt.bad) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("got %v, want one-line invalid argument naming %q", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameBoolPtr(got.NoNewPrivileges, tt.want.NoNewPrivileges) || got.Seccomp != tt.want.Seccomp || got.UnmaskPaths != tt.want.UnmaskPaths {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func sameBoolPtr(a, b *bool) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func TestCheckSeccompProfile(t *testing.T) {
	tests := []struct {
		name, body, want string // want: the error, "" when valid
	}{
		{"valid", mkdirProfile, ""},
		{"archMap", `{"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}]}`, ""},
		{"syntax", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  ]", "invalid character ']' looking for beginning of object key string at line 3, column 3"},
		{"truncated", `{"defaultAction":`, "unexpected end of JSON input at line 1, column 17"},
		{"type", `{"defaultAction":5}`, `"defaultAction" must be a string, not a number`},
		{"nested type", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":"mkdir"}]}`, `"syscalls.names" must be an array, not a string`},
		{"not an object", `[]`, "the profile must be an object, not an array"},
		{"no default action", `{}`, `it has no "defaultAction"`},
		{"unknown action", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"KILL"}]}`, `unknown action "KILL" in syscalls[0]`},
		{"unknown operator", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"op":"EQ"}]}]}`, `unknown operator "EQ" in syscalls[0]`},
		{"unknown arch", `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"]}`, `unknown architecture "SCMP_ARCH_Z80"`},
		{"null rule", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[null]}`, "syscalls[0] is null"},
		{"both arch lists", `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}`, "both 'architectures' and 'archMap'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSeccompProfile([]byte(tt.body))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("valid profile refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBuildAppliesSecurityOpts(t *testing.T) {
	build := func(privileged bool, opts ...string) *specs.Spec {
		t.Helper()
		s, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, Privileged: privileged, SecurityOpt: opts}, Host{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := build(false); s.Process.NoNewPrivileges || s.Linux.Seccomp == nil || len(s.Linux.MaskedPaths) == 0 {
		t.Error("default spec sets no_new_privs (Docker does not) or lacks seccomp or masked paths")
	}
	if s := build(false, "no-new-privileges=false"); s.Process.NoNewPrivileges {
		t.Error("no-new-privileges=false left no_new_privs set")
	}
	if s := build(true, "no-new-privileges"); !s.Process.NoNewPrivileges || s.Linux.Seccomp != nil {
		t.Error("privileged with no-new-privileges: want no_new_privs and no seccomp, as Docker")
	}
	if s := build(false, "seccomp=unconfined"); s.Linux.Seccomp != nil || len(s.Linux.MaskedPaths) == 0 {
		t.Error("seccomp=unconfined: want no filter, paths still masked")
	}
	s := build(false, "seccomp="+mkdirProfile)
	if sc := s.Linux.Seccomp; sc == nil || sc.DefaultAction != specs.ActAllow || len(sc.Syscalls) != 1 ||
		!slices.Equal(sc.Syscalls[0].Names, []string{"mkdir", "mkdirat"}) || *sc.Syscalls[0].ErrnoRet != 1 {
		t.Errorf("custom profile not applied: %+v", s.Linux.Seccomp)
	}
	if s := build(true, "seccomp="+mkdirProfile); s.Linux.Seccomp != nil {
		t.Error("privileged container got a seccomp filter; Docker ignores the profile then")
	}
	if s := build(false, "systempaths=unconfined"); len(s.Linux.MaskedPaths)+len(s.Linux.ReadonlyPaths) != 0 || s.Linux.Seccomp == nil {
		t.Error("systempaths=unconfined: want no masked or read-only paths, seccomp kept")
	}
	if _, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, SecurityOpt: []string{"apparmor=x"}}, Host{}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad option built: %v", err)
	}
}

func TestBuildDevices(t *testing.T) {
	disk := specs.LinuxDevice{Path: "/dev/vda", Type: "b", Major: 254}
	s, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}}, Host{Devices: []specs.LinuxDevice{disk}})
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Linux.Resources.Devices; len(d) != 1 || d[0].Allow || d[0].Access != "rwm" || len(s.Linux.Devices) != 0 {
		t.Errorf("default container: devices %+v, cgroup rules %+v; want none and deny-all first", s.Linux.Devices, d)
	}
	p, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, Privileged: true}, Host{Devices: []specs.LinuxDevice{disk}})
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Linux.Resources.Devices; len(d) != 1 || !d[0].Allow || d[0].Access != "rwm" || len(p.Linux.Devices) != 1 {
		t.Errorf("privileged container: devices %+v, cgroup rules %+v; want the host's and allow-all", p.Linux.Devices, d)
	}
}

func FuzzParseSecurityOpts(f *testing.F) {
	for _, s := range []string{"no-new-privileges", "no-new-privileges:false", "seccomp=unconfined", "seccomp=" + mkdirProfile,
		"seccomp={", `seccomp={"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"]}]}`,
		"label=disable", "label=level:s0", "apparmor=unconfined", "systempaths=unconfined", "=", ":", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, opt string) {
		sec, err := ParseSecurityOpts([]string{opt})
		if err != nil {
			if !errdefs.IsInvalidArgument(err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error not one line of invalid argument: %q", err)
			}
			return
		}
		if _, err := Build(Options{Rootfs: "/r", Args: []string{"sh"}, SecurityOpt: []string{opt}}, Host{}); err != nil {
			t.Fatalf("accepted %q but the spec fails: %v", opt, err)
		}
		_ = sec
	})
}

func FuzzCheckSeccompProfile(f *testing.F) {
	for _, s := range []string{mkdirProfile, "{}", "[]", "{\n\"defaultAction\":", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":2,"op":"SCMP_CMP_EQ"}],"includes":{"minKernel":"4.8"}}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := CheckSeccompProfile(body); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("error is not one line: %q", err)
		}
	})
}
