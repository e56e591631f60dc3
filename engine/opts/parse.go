// Package opts holds the Docker-shaped pieces every front end of berth
// shares: the parsers of run's and update's flag values (ports, mounts,
// restart policy, sizes, CPUs, environment, labels) and Run, docker run's
// create + start + cleanup. The CLI, the TUI's forms and (later) an API
// server or compose call these, so that the same text gives the same
// container whichever front end it was typed into.
package opts

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/docker/go-units"

	"berth/engine"
	"berth/engine/monitor"
	"berth/netmgr"
)

func invalid(format string, a ...any) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, a...))
}

// ParseRestart reads a --restart policy as Docker does: no, always,
// unless-stopped or on-failure[:max-retries] with a retry count of 0 or
// more. Empty is "no".
func ParseRestart(s string) (monitor.RestartPolicy, error) {
	name, maxRetries, hasMax := strings.Cut(s, ":")
	p := monitor.RestartPolicy{Name: name}
	bad := invalid("invalid restart policy %q: want no, always, unless-stopped or on-failure[:max-retries]", s)
	if hasMax {
		n, err := strconv.Atoi(maxRetries)
		if err != nil || name != "on-failure" {
			return p, bad
		}
		if n < 0 {
			return p, invalid("invalid restart policy %q: the maximum retry count must not be negative", s)
		}
		p.MaximumRetryCount = n
	}
	switch name {
	case "":
		p.Name = "no"
		return p, nil
	case "no", "always", "unless-stopped", "on-failure":
		return p, nil
	}
	return p, bad
}

// ParseMemory reads --memory: a size such as 32m or 1g; empty and 0 are no
// limit, as in Docker.
func ParseMemory(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	m, err := units.RAMInBytes(s)
	if err != nil || m < 0 {
		return 0, invalid("invalid --memory %q: want a positive size such as 32m", s)
	}
	return m, nil
}

// ParseMemoryReservation reads --memory-reservation: a size; empty is none.
func ParseMemoryReservation(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	m, err := units.RAMInBytes(s)
	if err != nil || m < 0 {
		return 0, invalid("invalid --memory-reservation %q: want a positive size such as 32m", s)
	}
	return m, nil
}

// ParseMemorySwap reads --memory-swap: a size, or -1 for unlimited swap;
// empty and 0 leave swap at its default.
func ParseMemorySwap(s string) (int64, error) {
	switch s {
	case "":
		return 0, nil
	case "-1":
		return -1, nil
	}
	m, err := units.RAMInBytes(s)
	if err != nil || m < 0 {
		return 0, invalid("invalid --memory-swap %q: want a size such as 128m, or -1", s)
	}
	return m, nil
}

// ParseCPUs reads --cpus ("1.5") into nano-CPUs exactly, as Docker does;
// empty and 0 are no limit. The engine checks the count against the host's.
func ParseCPUs(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, invalid("invalid --cpus %q: not a number", s)
	}
	if r.Sign() < 0 {
		return 0, invalid("invalid --cpus %q: must not be negative", s)
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, invalid("invalid --cpus %q: use at most nine decimal places", s)
	}
	if !nano.Num().IsInt64() {
		return 0, invalid("invalid --cpus %q: too many CPUs", s)
	}
	return nano.Num().Int64(), nil
}

// ParseLabels reads --label values: key=value, or key alone for an empty
// value; the key must not be empty. A later key wins.
func ParseLabels(in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range in {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			return nil, invalid("invalid label %q: empty key", kv)
		}
		out[k] = v
	}
	return out, nil
}

// ParsePorts reads -p values ([HOST_IP:][HOST_PORT:]PORT[/PROTO], with
// ranges) into the engine's port map with netmgr's parser, the one the
// engine publishes with; no values give an empty map.
func ParsePorts(specs []string) (engine.PortMap, error) {
	maps, err := netmgr.ParsePorts(specs)
	if err != nil {
		return nil, err
	}
	return engine.PortMapFromMappings(maps), nil
}
