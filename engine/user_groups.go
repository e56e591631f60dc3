package engine

import "slices"

// withPrimaryGroup is the supplementary groups a container's process gets:
// its primary group first, then the others, as Docker gives them (`id`
// shows groups=0(root),10(wheel) for root in busybox).
func withPrimaryGroup(gid int, sgids []int) []int {
	out := []int{gid}
	for _, g := range sgids {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}
