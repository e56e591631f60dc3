package spec

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// NSHost shares the host's namespace (--pid host, --ipc host, --uts host).
const NSHost = "host"

// ShmNone is SharedNamespaces.Shm for a container without /dev/shm
// (--ipc none).
const ShmNone = "none"

// SharedNamespaces are the PID, IPC and UTS namespaces a container shares
// instead of getting its own: each is "" (its own), NSHost, or the path of
// another process's namespace to join (/proc/PID/ns/pid: --pid
// container:NAME). Shm is where its /dev/shm comes from: "" a tmpfs of its
// own, ShmNone none, otherwise a directory bind-mounted there (the host's
// /dev/shm with --ipc host, the other container's with --ipc container:).
type SharedNamespaces struct {
	PID, IPC, UTS string
	Shm           string
}

// applyShared takes the shared namespaces and /dev/shm into s, whose
// namespaces and mounts are a private container's: a shared namespace is
// dropped (the host's) or joined by path, and a container in the host's UTS
// namespace cannot set its hostname.
func applyShared(s *specs.Spec, sh SharedNamespaces) {
	mode := map[specs.LinuxNamespaceType]string{
		specs.PIDNamespace: sh.PID, specs.IPCNamespace: sh.IPC, specs.UTSNamespace: sh.UTS,
	}
	ns := s.Linux.Namespaces[:0]
	for _, n := range s.Linux.Namespaces {
		switch m := mode[n.Type]; m {
		case "":
		case NSHost:
			continue
		default:
			n.Path = m
		}
		ns = append(ns, n)
	}
	s.Linux.Namespaces = ns
	if sh.UTS != "" {
		s.Hostname, s.Domainname = "", ""
	}
	if sh.Shm == "" {
		return
	}
	mounts := s.Mounts[:0]
	for _, m := range s.Mounts {
		if m.Destination == "/dev/shm" {
			if sh.Shm == ShmNone {
				continue
			}
			m = specs.Mount{Destination: "/dev/shm", Type: "bind", Source: sh.Shm,
				Options: []string{"rbind", "nosuid", "noexec", "nodev"}}
		}
		mounts = append(mounts, m)
	}
	s.Mounts = mounts
}
