package spec

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setDevices sets the device nodes and the devices cgroup as Docker does: a
// default container may use only the runtime's standard devices (null, zero,
// full, random, urandom, tty, ptmx and the pts), whatever nodes it makes with
// mknod, and those given with --device (nodes, with their rules) and
// --device-cgroup-rule (rules); a privileged one gets every device of the
// host, and may use any.
func setDevices(s *specs.Spec, privileged bool, host []specs.LinuxDevice, given []specs.LinuxDevice, rules []specs.LinuxDeviceCgroup) {
	if !privileged {
		s.Linux.Devices = append([]specs.LinuxDevice(nil), given...)
		s.Linux.Resources.Devices = append([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, rules...)
		return
	}
	s.Linux.Devices = append([]specs.LinuxDevice(nil), host...)
	s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
}

// DeviceMapping is one --device: a host device node (or a directory of
// them) given to the container at a path, with the cgroup permissions
// (some of r, w and m) it may use it with. The JSON names are Docker's.
type DeviceMapping struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// ParseDevice reads --device HOST[:CONTAINER][:PERMISSIONS] as the docker
// CLI does: the container path defaults to the host's, the permissions to
// rwm; a second field that is a permission string is one.
func ParseDevice(s string) (DeviceMapping, error) {
	bad := func(format string, a ...any) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, a...))
	}
	d := DeviceMapping{CgroupPermissions: "rwm"}
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 3:
		if !validDeviceMode(parts[2]) {
			return d, bad("invalid --device %q: bad mode %q (some of r, w and m)", s, parts[2])
		}
		d.CgroupPermissions, d.PathInContainer = parts[2], parts[1]
	case 2:
		if validDeviceMode(parts[1]) {
			d.CgroupPermissions = parts[1]
		} else {
			d.PathInContainer = parts[1]
		}
	case 1:
	default:
		return d, bad("invalid --device %q: want HOST[:CONTAINER][:PERMISSIONS]", s)
	}
	d.PathOnHost = parts[0]
	if d.PathInContainer == "" {
		d.PathInContainer = d.PathOnHost
	}
	for _, p := range []string{d.PathOnHost, d.PathInContainer} {
		if !path.IsAbs(p) {
			return d, bad("invalid --device %q: %q is not an absolute path", s, p)
		}
	}
	d.PathOnHost, d.PathInContainer = path.Clean(d.PathOnHost), path.Clean(d.PathInContainer)
	return d, nil
}

// validDeviceMode reports whether m is a cgroup permission string: one to
// three of r, w and m, none twice.
func validDeviceMode(m string) bool {
	if m == "" || len(m) > 3 {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range m {
		if (c != 'r' && c != 'w' && c != 'm') || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// deviceRuleRe is Docker's form of a --device-cgroup-rule.
var deviceRuleRe = regexp.MustCompile(`^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$`)

// ParseDeviceCgroupRule reads --device-cgroup-rule "TYPE MAJOR:MINOR
// PERMISSIONS" ("c 1:3 mr", "b *:* m") into an allow rule.
func ParseDeviceCgroupRule(s string) (specs.LinuxDeviceCgroup, error) {
	m := deviceRuleRe.FindStringSubmatch(s)
	if m == nil || !validDeviceMode(m[4]) {
		return specs.LinuxDeviceCgroup{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid device cgroup format '%s'", s))
	}
	num := func(v string) *int64 {
		if v == "*" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil
		}
		return &n
	}
	return specs.LinuxDeviceCgroup{Allow: true, Type: m[1], Major: num(m[2]), Minor: num(m[3]), Access: m[4]}, nil
}
