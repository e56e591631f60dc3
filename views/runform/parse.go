package runform

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/containerd/errdefs"
	"github.com/docker/go-units"

	"berth/engine"
	"berth/engine/monitor"
	"berth/netmgr"
	"berth/volumes"
)

// SplitArgs splits a command line into words as a shell would for plain
// words, single and double quotes and backslash escapes (no expansions).
func SplitArgs(s string) ([]string, error) {
	if !utf8.ValidString(s) {
		return nil, errdefs.ErrInvalidArgument.WithMessage("command line is not valid UTF-8")
	}
	var args []string
	var cur strings.Builder
	inWord, escaped := false, false
	var quote rune
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("command line %q: unterminated quote or escape", s))
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

// ParseEnv reads KEY=VALUE pairs separated by commas or spaces (quotes keep
// a value's spaces: A="x y").
func ParseEnv(s string) ([]string, error) {
	words, err := SplitArgs(strings.ReplaceAll(s, ",", " "))
	if err != nil {
		return nil, err
	}
	for _, w := range words {
		k, _, ok := strings.Cut(w, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q: want KEY=VALUE", w))
		}
	}
	return words, nil
}

// ParseMemory reads a memory limit such as 64m or 1g as the CLI's --memory
// does (empty: no limit).
func ParseMemory(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	m, err := units.RAMInBytes(s)
	if err != nil || m <= 0 {
		return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q: want a positive size such as 32m", s))
	}
	return m, nil
}

// ParseCPUs reads a CPU count such as 0.5 into nano-CPUs (empty: no limit).
func ParseCPUs(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	// A count that rounds to 0 nano-CPUs would mean no limit at all.
	if err != nil || !(f > 0 && f <= 1024) || int64(f*1e9) == 0 {
		return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q: want a number of CPUs such as 0.5", s))
	}
	return int64(f * 1e9), nil
}

// ParseRestart reads a restart policy as the CLI's --restart does:
// no, always, unless-stopped or on-failure[:max-retries] (empty: no).
func ParseRestart(s string) (monitor.RestartPolicy, error) {
	name, maxRetries, hasMax := strings.Cut(s, ":")
	p := monitor.RestartPolicy{Name: name}
	bad := errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%q: want no, always, unless-stopped or on-failure[:N]", s))
	if hasMax {
		n, err := strconv.Atoi(maxRetries)
		if err != nil || n < 0 || name != "on-failure" {
			return p, bad
		}
		p.MaximumRetryCount = n
	}
	switch name {
	case "", "no", "always", "unless-stopped", "on-failure":
		if p.Name == "" {
			p.Name = "no"
		}
		return p, nil
	}
	return p, bad
}

// Quote quotes a word for a shell when it needs it.
func Quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>(){}*?[]#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ParsePorts parses space-separated -p specs into the engine's port map.
func ParsePorts(s string) (engine.PortMap, error) {
	maps, err := netmgr.ParsePorts(strings.Fields(s))
	if err != nil {
		return nil, err
	}
	if len(maps) == 0 {
		return nil, nil
	}
	return engine.PortMapFromMappings(maps), nil
}

// ParseVolumes parses space-separated -v specs into the engine's mounts.
func ParseVolumes(s string) ([]engine.MountSpec, error) {
	var out []engine.MountSpec
	for _, spec := range strings.Fields(s) {
		m, err := volumes.ParseVolume(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, engine.MountSpec{Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly,
			Propagation: m.Propagation, NoCopy: m.NoCopy, FromShort: true})
	}
	return out, nil
}
