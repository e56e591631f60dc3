package spec

import specs "github.com/opencontainers/runtime-spec/specs-go"

// setDevices sets the device nodes and the devices cgroup as Docker does: a
// default container may use only the runtime's standard devices (null, zero,
// full, random, urandom, tty, ptmx and the pts), whatever nodes it makes with
// mknod; a privileged one gets every device of the host, and may use any.
func setDevices(s *specs.Spec, privileged bool, host []specs.LinuxDevice) {
	if !privileged {
		s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}
		return
	}
	s.Linux.Devices = append([]specs.LinuxDevice(nil), host...)
	s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
}
