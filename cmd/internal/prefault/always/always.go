// Package always maps in, as it initialises, the memory every process of the
// binary that imports it touches as it starts (see package prefault) — but
// for libcontainer's container init (berth is the init of the processes
// `berth exec` starts), whose memory is charged to the container's cgroup,
// limit or not; an exec's start is not on a hot path — and but for `berth
// serve`, long-lived and measured by its idle memory.
package always

import "berth/cmd/internal/prefault"

func init() {
	if !prefault.IsContainerInit() && !prefault.IsServer() {
		prefault.Map(prefault.Process())
	}
}
