package spec

import specs "github.com/opencontainers/runtime-spec/specs-go"

// LinuxResources turns docker's limits into the OCI cgroup resources a
// container's spec carries (memory with Docker's default swap, CPU quota,
// shares and set, pids), checking them against the host first. Update uses
// it to change a container's limits the same way run sets them.
func LinuxResources(r Resources, h Host) (*specs.LinuxResources, error) {
	return resources(r, h)
}
