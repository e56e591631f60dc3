package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/spec"
)

// givenDevices resolves a container's --device mappings into the device
// nodes its spec makes and the cgroup rules that allow them, and adds its
// --device-cgroup-rule rules: at create to check them, at each start to
// read the host's nodes as they are then. A directory gives every device
// node under it, at the same relative paths.
func givenDevices(h *HostConfig) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	var nodes []specs.LinuxDevice
	var rules []specs.LinuxDeviceCgroup
	for _, m := range h.Devices {
		found, err := devicesAt(m)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range found {
			nodes = append(nodes, d)
			major, minor := d.Major, d.Minor
			rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: d.Type, Major: &major, Minor: &minor,
				Access: m.CgroupPermissions})
		}
	}
	for _, r := range h.DeviceCgroupRules {
		rule, err := spec.ParseDeviceCgroupRule(r)
		if err != nil {
			return nil, nil, err
		}
		rules = append(rules, rule)
	}
	return nodes, rules, nil
}

// devicesAt lists the device nodes one mapping gives, at their paths in the
// container.
func devicesAt(m spec.DeviceMapping) ([]specs.LinuxDevice, error) {
	bad := func(why string) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("cannot add device %q: %s", m.PathOnHost, why))
	}
	fi, err := os.Stat(m.PathOnHost)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, bad("no such file or directory")
	}
	if err != nil {
		return nil, fmt.Errorf("add device %s: %w", m.PathOnHost, err)
	}
	if !fi.IsDir() {
		d, ok := deviceAt(m.PathOnHost)
		if !ok {
			return nil, bad("not a device node")
		}
		d.Path = m.PathInContainer
		return []specs.LinuxDevice{d}, nil
	}
	var out []specs.LinuxDevice
	err = filepath.WalkDir(m.PathOnHost, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return nil // unreadable parts are skipped, as Docker does
		}
		d, ok := deviceAt(p)
		if !ok {
			return nil
		}
		d.Path = filepath.Join(m.PathInContainer, strings.TrimPrefix(p, m.PathOnHost))
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add devices under %s: %w", m.PathOnHost, err)
	}
	if len(out) == 0 {
		return nil, bad("no device nodes in that directory")
	}
	return out, nil
}
