// Package always maps in, as it initialises, the memory a process of the
// binary that imports it touches as it starts (see package prefault). Two
// kinds of process are left as they are: libcontainer's container init
// (berth is the init of the processes `berth exec` starts), whose memory is
// charged to the container's cgroup and whose start is not on a hot path,
// and `berth serve`, long-lived and measured by its idle memory.
package always

import "berth/cmd/internal/prefault"

func init() {
	cmdline := prefault.Cmdline()
	if !prefault.IsContainerInit(cmdline) && !prefault.IsServer(cmdline) {
		prefault.Map(prefault.Process())
	}
}
