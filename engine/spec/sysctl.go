package spec

import (
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
)

// ipcSysctls are the kernel.* sysctls that belong to the IPC namespace,
// which every berth container has its own of (Docker's list).
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// ValidateSysctls refuses a sysctl that is not namespaced, as Docker does:
// net.* ones only for a container with its own network namespace (ownNet
// false for --network host and container:NAME), and the IPC ones
// (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*). A key is dotted words
// and a value is one line that is not empty.
func ValidateSysctls(sysctls map[string]string, ownNet bool) error {
	for k, v := range sysctls {
		if err := validateSysctl(k, v, ownNet); err != nil {
			return err
		}
	}
	return nil
}

func validateSysctl(k, v string, ownNet bool) error {
	bad := func(format string, a ...any) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, a...))
	}
	for _, w := range strings.Split(k, ".") {
		if w == "" || strings.ContainsAny(w, "/ \t\r\n=\x00") {
			return bad("sysctl %q is not a valid name: want dotted words such as net.ipv4.ip_forward", k)
		}
	}
	switch {
	case strings.HasPrefix(k, "net."):
		if !ownNet {
			return bad("sysctl %s is not allowed in the network namespace of the host or of another container", k)
		}
	case ipcSysctls[k] || strings.HasPrefix(k, "fs.mqueue."):
	default:
		return bad("sysctl %s is not allowed: a container may set only namespaced ones (net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*)", k)
	}
	if strings.TrimSpace(v) == "" || strings.ContainsAny(v, "\r\n\x00") {
		return bad("sysctl %s has the value %q; want one line that is not empty", k, v)
	}
	return nil
}
