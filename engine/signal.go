package engine

import (
	"golang.org/x/sys/unix"

	"berth/images"
)

// ParseSignal accepts "SIGTERM", "TERM", "term", "SIGRTMIN+3" or a number.
func ParseSignal(s string) (unix.Signal, error) {
	return images.ParseSignal(s)
}
