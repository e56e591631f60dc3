package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// ParseSignal accepts "SIGTERM", "TERM", "term" or a number.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid signal %q", s))
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid signal %q", s))
}
