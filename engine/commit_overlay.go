package engine

import "maps"

// overlayConfig lays u (a commit's config body) over the container's config
// c as dockerd's commit merges them; nil u leaves c as it is.
func overlayConfig(c Config, u *Config) Config {
	if u == nil {
		return c
	}
	out := c
	for _, f := range []struct {
		dst *string
		v   string
	}{{&out.Hostname, u.Hostname}, {&out.Domainname, u.Domainname},
		{&out.User, u.User}, {&out.WorkingDir, u.WorkingDir}, {&out.StopSignal, u.StopSignal}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	switch {
	case len(u.Entrypoint) > 0: // a new entrypoint drops the container's command
		out.Entrypoint, out.Cmd = u.Entrypoint, u.Cmd
	case u.Cmd != nil:
		out.Cmd = u.Cmd
	}
	out.Tty, out.OpenStdin, out.StdinOnce = c.Tty || u.Tty, c.OpenStdin || u.OpenStdin, c.StdinOnce || u.StdinOnce
	if len(u.Shell) > 0 {
		out.Shell = u.Shell
	}
	if len(u.Env) > 0 {
		out.Env = mergeEnv(c.Env, u.Env)
	}
	out.Labels = unionMap(c.Labels, u.Labels)
	out.ExposedPorts = unionMap(c.ExposedPorts, u.ExposedPorts)
	out.Volumes = unionMap(c.Volumes, u.Volumes)
	if u.Healthcheck != nil {
		h := *u.Healthcheck
		if b := c.Healthcheck; b != nil {
			if len(h.Test) == 0 {
				h.Test = b.Test
			}
			h.Interval, h.Timeout = or(h.Interval, b.Interval), or(h.Timeout, b.Timeout)
			h.StartPeriod, h.StartInterval = or(h.StartPeriod, b.StartPeriod), or(h.StartInterval, b.StartInterval)
			h.Retries = or(h.Retries, b.Retries)
		}
		out.Healthcheck = &h
	}
	return out
}

// unionMap is base with over's entries laid on it (nil when both are empty).
func unionMap[V any](base, over map[string]V) map[string]V {
	if len(over) == 0 {
		return base
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]V{}
	}
	maps.Copy(out, over)
	return out
}

// or is v, or def when v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
