package spec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Seccomp profile names that --security-opt seccomp= takes besides a profile.
const (
	SeccompUnconfined = "unconfined" // no seccomp filter
	SeccompBuiltin    = "builtin"    // Docker's default profile
)

// Security is what a container's --security-opt values ask of its spec.
type Security struct {
	// NoNewPrivileges overrides berth's default no_new_privs bit when not nil.
	NoNewPrivileges *bool
	// Seccomp is "" or SeccompBuiltin (Docker's default profile),
	// SeccompUnconfined, or the JSON text of a profile in Docker's format.
	Seccomp string
	// UnmaskPaths (systempaths=unconfined) leaves /proc's masked and read-only
	// paths open, as Docker's flag of that name does.
	UnmaskPaths bool
}

// securityUsage lists what --security-opt takes, for error messages.
const securityUsage = "no-new-privileges[=true|false], seccomp=unconfined|builtin|PROFILE.json, systempaths=unconfined, label=disable or apparmor=unconfined"

// ParseSecurityOpts reads HostConfig.SecurityOpt values as Docker's daemon
// does ("key=value", or the old "key:value"). A seccomp value other than
// unconfined or builtin is a profile's JSON text (the CLI reads the file).
// berth applies neither SELinux labels nor AppArmor profiles, so of those it
// accepts only the values that ask for none.
func ParseSecurityOpts(opts []string) (Security, error) {
	var s Security
	for _, opt := range opts {
		if opt == "no-new-privileges" {
			t := true
			s.NoNewPrivileges = &t
			continue
		}
		if opt == "disable" { // Docker's old spelling of label=disable
			continue
		}
		k, v, ok := strings.Cut(opt, "=")
		if !ok {
			k, v, ok = strings.Cut(opt, ":")
		}
		if !ok || v == "" {
			return s, badSecurityOpt(opt, "want "+securityUsage)
		}
		if err := s.set(opt, k, v); err != nil {
			return s, err
		}
	}
	return s, nil
}

// set records one key=value option.
func (s *Security) set(opt, k, v string) error {
	switch k {
	case "no-new-privileges":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badSecurityOpt(opt, "want no-new-privileges=true or no-new-privileges=false")
		}
		s.NoNewPrivileges = &b
	case "seccomp":
		if v != SeccompUnconfined && v != SeccompBuiltin {
			if err := CheckSeccompProfile([]byte(v)); err != nil {
				return errdefs.ErrInvalidArgument.WithMessage("invalid seccomp profile in --security-opt: " + err.Error())
			}
		}
		s.Seccomp = v
	case "systempaths":
		if v != "unconfined" {
			return badSecurityOpt(opt, "the only value is systempaths=unconfined")
		}
		s.UnmaskPaths = true
	case "label":
		if v != "disable" {
			return badSecurityOpt(opt, "berth does not apply SELinux labels, so it accepts only label=disable")
		}
	case "apparmor":
		if v != "unconfined" {
			return badSecurityOpt(opt, "berth does not apply AppArmor profiles, so it accepts only apparmor=unconfined")
		}
	default:
		return badSecurityOpt(opt, "want "+securityUsage)
	}
	return nil
}

func badSecurityOpt(opt, why string) error {
	if len(opt) > 60 {
		opt = opt[:57] + "..."
	}
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --security-opt %q: %s", opt, why))
}

// SystemPaths returns the paths a container's spec masks and makes
// read-only, as dockerd's HostConfig.MaskedPaths and ReadonlyPaths show them:
// nil for a privileged container, empty ones with systempaths=unconfined.
// Fresh slices.
func SystemPaths(privileged bool, sec Security) (masked, readonly []string) {
	switch {
	case privileged:
		return nil, nil
	case sec.UnmaskPaths:
		return []string{}, []string{}
	}
	return append([]string(nil), maskedPaths...), append([]string(nil), readonlyPaths...)
}

// applySecurity sets no_new_privs (only when asked, as Docker), the masked and read-only /proc paths and
// the seccomp filter as Docker does: a privileged container gets none of the
// last three, whatever was asked.
func applySecurity(s *specs.Spec, privileged bool, sec Security) error {
	s.Process.NoNewPrivileges = false // Docker leaves it off unless asked
	if sec.NoNewPrivileges != nil {
		s.Process.NoNewPrivileges = *sec.NoNewPrivileges
	}
	if privileged {
		return nil
	}
	s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = SystemPaths(false, sec)
	switch sec.Seccomp {
	case SeccompUnconfined:
		return nil
	case "", SeccompBuiltin:
		sc, err := seccomp.GetDefaultProfile(s)
		if err != nil {
			return fmt.Errorf("seccomp profile: %w", err)
		}
		s.Linux.Seccomp = dropX32(sc)
	default:
		sc, err := seccomp.LoadProfile(sec.Seccomp, s)
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage("seccomp profile: " + err.Error())
		}
		s.Linux.Seccomp = sc
	}
	return nil
}
