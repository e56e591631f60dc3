package images

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// ParseSignal parses a signal as an image's StopSignal and Docker's
// signal.ParseSignal take it: a number from 1 to 64, or a name with or
// without "SIG" in any case, SIGRTMIN+n and SIGRTMAX-n included (systemd
// images stop on SIGRTMIN+3).
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, invalidSignal(s)
		}
		return unix.Signal(n), nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	for _, rt := range []struct {
		name string
		base int
		sign int
	}{{"RTMIN", 34, 1}, {"RTMAX", 64, -1}} {
		off, ok := strings.CutPrefix(name, rt.name)
		if !ok {
			continue
		}
		n := 0
		if off != "" {
			digits, ok := strings.CutPrefix(off, map[int]string{1: "+", -1: "-"}[rt.sign])
			var err error
			if n, err = strconv.Atoi(digits); !ok || err != nil || n < 0 || n > 30 {
				return 0, invalidSignal(s)
			}
		}
		return unix.Signal(rt.base + rt.sign*n), nil
	}
	if sig := unix.SignalNum("SIG" + name); name != "" && sig != 0 {
		return sig, nil
	}
	return 0, invalidSignal(s)
}

func invalidSignal(s string) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid signal %q", s))
}
