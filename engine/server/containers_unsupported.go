package server

import (
	"os"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"berth/engine"
)

// setField is a request field and whether the request set it.
type setField struct {
	name string
	set  bool
}

// unsupported refuses the first set field: berth cannot honour it, and
// creating the container without it would give something else than asked.
func unsupported(prefix string, fields []setField) error {
	for _, f := range fields {
		if f.set {
			return badRequest("%s.%s is not supported by berth", prefix, f.name)
		}
	}
	return nil
}

// unsupportedHost refuses the HostConfig fields berth has no equivalent
// for. Fields the docker CLI always sends with their defaults
// (ContainerIDFile, OomKillDisable false, MemorySwappiness -1) pass when
// they hold those.
func unsupportedHost(h *container.HostConfig) error {
	masked := h.MaskedPaths != nil && len(h.MaskedPaths) > 0
	ro := h.ReadonlyPaths != nil && len(h.ReadonlyPaths) > 0
	return unsupported("HostConfig", []setField{
		{"VolumeDriver", h.VolumeDriver != "" && h.VolumeDriver != engine.VolumeDriverLocal},
		{"Annotations", len(h.Annotations) > 0},
		{"CgroupnsMode", h.CgroupnsMode != "" && h.CgroupnsMode != container.CgroupnsModePrivate},
		{"Cgroup", h.Cgroup != ""},
		{"StorageOpt", len(h.StorageOpt) > 0},
		{"UsernsMode", h.UsernsMode != ""},
		{"Runtime", h.Runtime != "" && h.Runtime != "runc"},
		{"Umask", h.Umask != nil},
		{"Isolation", !h.Isolation.IsDefault()},
		{"MaskedPaths", masked},
		{"ReadonlyPaths", ro},
	})
}

// unsupportedResources refuses the limits berth does not apply.
func unsupportedResources(r *container.Resources) error {
	return unsupported("HostConfig", []setField{
		{"CgroupParent", r.CgroupParent != ""},
		{"BlkioWeight", r.BlkioWeight != 0},
		{"BlkioWeightDevice", len(r.BlkioWeightDevice) > 0},
		{"BlkioDeviceReadBps", len(r.BlkioDeviceReadBps) > 0},
		{"BlkioDeviceWriteBps", len(r.BlkioDeviceWriteBps) > 0},
		{"BlkioDeviceReadIOps", len(r.BlkioDeviceReadIOps) > 0},
		{"BlkioDeviceWriteIOps", len(r.BlkioDeviceWriteIOps) > 0},
		{"CpuRealtimePeriod", r.CPURealtimePeriod != 0},
		{"CpuRealtimeRuntime", r.CPURealtimeRuntime != 0},
		{"CpusetMems", r.CpusetMems != ""},
		{"Devices", len(r.Devices) > 0},
		{"DeviceCgroupRules", len(r.DeviceCgroupRules) > 0},
		{"DeviceRequests", len(r.DeviceRequests) > 0},
		{"MemorySwappiness", r.MemorySwappiness != nil && *r.MemorySwappiness != -1},
		{"OomKillDisable", r.OomKillDisable != nil && *r.OomKillDisable},
		{"CpuCount", r.CPUCount != 0},
		{"CpuPercent", r.CPUPercent != 0},
		{"IOMaximumIOps", r.IOMaximumIOps != 0},
		{"IOMaximumBandwidth", r.IOMaximumBandwidth != 0},
	})
}

// mountSpec converts one HostConfig.Mounts entry, refusing the options
// berth's mounts do not have.
func mountSpec(field string, m mount.Mount) (engine.MountSpec, error) {
	out := engine.MountSpec{Type: string(m.Type), Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	b, v, t := m.BindOptions, m.VolumeOptions, m.TmpfsOptions
	if err := unsupported(field, []setField{
		{"BindOptions", b != nil && m.Type != mount.TypeBind},
		{"VolumeOptions", v != nil && m.Type != mount.TypeVolume},
		{"TmpfsOptions", t != nil && m.Type != mount.TypeTmpfs},
		{"ImageOptions", m.ImageOptions != nil},
		{"ClusterOptions", m.ClusterOptions != nil},
		{"BindOptions.NonRecursive", b != nil && b.NonRecursive},
		{"BindOptions.ReadOnlyNonRecursive", b != nil && b.ReadOnlyNonRecursive},
		{"BindOptions.ReadOnlyForceRecursive", b != nil && b.ReadOnlyForceRecursive},
		{"VolumeOptions.Labels", v != nil && len(v.Labels) > 0},
		{"VolumeOptions.Subpath", v != nil && v.Subpath != ""},
		{"VolumeOptions.DriverConfig", v != nil && v.DriverConfig != nil &&
			v.DriverConfig.Name != "" && v.DriverConfig.Name != engine.VolumeDriverLocal},
		{"TmpfsOptions.Options", t != nil && len(t.Options) > 0},
	}); err != nil {
		return out, err
	}
	switch m.Type {
	case mount.TypeBind, mount.TypeVolume, mount.TypeTmpfs:
	default:
		return out, badRequest("%s.Type %q is not supported by berth (bind, volume or tmpfs)", field, m.Type)
	}
	if b != nil {
		out.Propagation = string(b.Propagation)
		out.FromShort = b.CreateMountpoint // a missing source is created
	}
	if v != nil {
		out.NoCopy = v.NoCopy
		if d := v.DriverConfig; d != nil && len(d.Options) > 0 {
			if err := engine.CheckVolumeDriver(m.Source, d.Name, d.Options); err != nil {
				return out, err
			}
			out.VolumeOptions = d.Options
		}
	}
	if t != nil {
		out.TmpfsSize, out.TmpfsMode = t.SizeBytes, unixMode(t.Mode)
	}
	return out, nil
}

// unixMode is the mode bits of an os.FileMode as chmod takes them. Docker's
// clients send the bits raw (1777 octal for a sticky tmpfs), not as Go's
// ModeSticky, so both are read.
func unixMode(m os.FileMode) uint32 {
	out := uint32(m) & 0o7777
	if m&os.ModeSetuid != 0 {
		out |= 0o4000
	}
	if m&os.ModeSetgid != 0 {
		out |= 0o2000
	}
	if m&os.ModeSticky != 0 {
		out |= 0o1000
	}
	return out
}
