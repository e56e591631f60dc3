// Package always maps in, as it initialises, the memory every process of the
// binary that imports it touches as it starts (see package prefault).
package always

import "berth/cmd/internal/prefault"

func init() { prefault.Now() }
