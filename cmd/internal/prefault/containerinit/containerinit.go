// Package containerinit maps in, as it initialises, the memory a container's
// init touches as it starts, when the process is libcontainer's container
// init; other processes of the binary are left as they are (see package
// prefault).
package containerinit

import "berth/cmd/internal/prefault"

func init() {
	if prefault.IsContainerInit() {
		prefault.Now()
	}
}
