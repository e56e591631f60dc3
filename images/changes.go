package images

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ApplyChanges applies changes in order, as Docker's commit and import do:
// an ENTRYPOINT with no CMD before it among them clears the command, as the
// Dockerfile's does (the old command was the old entrypoint's arguments).
func ApplyChanges(cfg *v1.Config, ext *ConfigExt, changes []string) error {
	cmdSet := false
	for _, ch := range changes {
		if err := ApplyChange(cfg, ext, ch); err != nil {
			return err
		}
		switch verb, _, _ := strings.Cut(strings.TrimSpace(ch), " "); strings.ToUpper(verb) {
		case "CMD":
			cmdSet = true
		case "ENTRYPOINT":
			if !cmdSet {
				cfg.Cmd = nil
			}
		}
	}
	return nil
}

// ApplyChange applies one Dockerfile-style instruction, as `docker import --change`
// and `docker commit --change` accept (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER,
// VOLUME, WORKDIR, STOPSIGNAL, HEALTHCHECK), to cfg and ext (the fields of the
// config v1.Config lacks, such as HEALTHCHECK's --start-interval).
func ApplyChange(cfg *v1.Config, ext *ConfigExt, change string) error {
	verb, rest, _ := strings.Cut(strings.TrimSpace(change), " ")
	rest = strings.TrimSpace(rest)
	bad := func(why string) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("change %q: %s", change, why))
	}
	if rest == "" {
		return bad("missing argument")
	}
	switch strings.ToUpper(verb) {
	case "CMD":
		cfg.Cmd = commandForm(rest)
	case "ENTRYPOINT":
		cfg.Entrypoint = commandForm(rest)
	case "ENV":
		kv, err := keyValues(rest)
		if err != nil {
			return bad(err.Error())
		}
		for _, p := range kv {
			cfg.Env = setEnv(cfg.Env, p[0], p[1])
		}
	case "LABEL":
		kv, err := keyValues(rest)
		if err != nil {
			return bad(err.Error())
		}
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, p := range kv {
			cfg.Labels[p[0]] = p[1]
		}
	case "EXPOSE":
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range strings.Fields(rest) {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			cfg.ExposedPorts[p] = struct{}{}
		}
	case "VOLUME":
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range listForm(rest) {
			cfg.Volumes[v] = struct{}{}
		}
	case "USER":
		cfg.User = rest
	case "WORKDIR":
		cfg.WorkingDir = rest
	case "STOPSIGNAL":
		cfg.StopSignal = rest
	case "HEALTHCHECK":
		return applyHealthcheck(cfg, ext, change)
	default:
		return bad("unsupported instruction " + verb)
	}
	return nil
}

// commandForm parses the JSON exec form, else wraps the shell form in /bin/sh -c.
func commandForm(s string) []string {
	var arr []string
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &arr) == nil {
		return arr
	}
	return []string{"/bin/sh", "-c", s}
}

func listForm(s string) []string {
	var arr []string
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &arr) == nil {
		return arr
	}
	return strings.Fields(s)
}

// keyValues parses "k=v k2="v 2"" or the legacy "k v" form.
func keyValues(s string) ([][2]string, error) {
	_, rest, err := shellKey(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(rest, "=") {
		k, v, _ := strings.Cut(s, " ")
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var out [][2]string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		k, rest, err := shellKey(s) // a key may be quoted: LABEL "x y"=z
		if err != nil || k == "" || !strings.HasPrefix(rest, "=") {
			return nil, fmt.Errorf("expected key=value at %q", s)
		}
		v, tail, err := shellWord(rest[1:])
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{k, v})
		s = tail
	}
	return out, nil
}

// shellKey reads a key up to an unquoted "=" or blank, honouring double and
// single quotes; rest starts at that "=" or blank.
func shellKey(s string) (key, rest string, err error) { return shellUntil(s, "= \t") }

// shellWord reads one word, honouring double and single quotes.
func shellWord(s string) (string, string, error) { return shellUntil(s, " \t") }

// shellUntil reads up to the first unquoted byte of stops, honouring double
// and single quotes; rest starts at that byte (empty at the end of s).
func shellUntil(s, stops string) (word, rest string, err error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case strings.IndexByte(stops, c) >= 0:
			return b.String(), s[i:], nil
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return "", "", fmt.Errorf("unterminated quote in %q", s)
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), "", nil
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}
