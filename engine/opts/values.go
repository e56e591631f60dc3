package opts

import (
	"strings"

	"berth/engine"
	"berth/engine/envfile"
	"berth/volumes"
)

// Lookup finds a variable of the caller's environment (os.LookupEnv).
type Lookup = envfile.Lookup

// ParseEnv reads the --env-file files, then the -e values, into KEY=VALUE
// entries as Docker does: a value "KEY" alone takes KEY's value from lookup
// and is left out when lookup has none.
func ParseEnv(files, vals []string, lookup Lookup) ([]string, error) {
	var out []string
	for _, path := range files {
		kvs, err := envfile.ParseFile(path, lookup)
		if err != nil {
			return nil, err
		}
		out = append(out, kvs...)
	}
	for _, v := range vals {
		kv, err := EnvValue(v, lookup)
		if err != nil {
			return nil, err
		}
		if kv != "" {
			out = append(out, kv)
		}
	}
	return out, nil
}

// EnvValue reads one -e value: KEY=VALUE is kept as it is, KEY alone takes
// its value from lookup ("" when lookup has none). The key must not be empty
// nor hold a blank.
func EnvValue(s string, lookup Lookup) (string, error) {
	k, _, hasVal := strings.Cut(s, "=")
	if k == "" || strings.ContainsAny(k, " \t") {
		return "", invalid("-e %q: invalid variable name %q", s, k)
	}
	if hasVal {
		return s, nil
	}
	if v, ok := lookup(k); ok {
		return k + "=" + v, nil
	}
	return "", nil
}

// Mounts reads -v, --mount and --tmpfs values with the volumes package's
// parsers, in that order, into h's Mounts; a -v with a source (a bind or a
// named volume) is also listed in Binds as given, as Docker's HostConfig shows it.
func Mounts(h *engine.HostConfig, vols, mounts, tmpfs []string) error {
	add := func(m volumes.Mount, short bool) {
		h.Mounts = append(h.Mounts, engine.MountSpec{Type: m.Type, Source: m.Source, Target: m.Target,
			ReadOnly: m.ReadOnly, Propagation: m.Propagation, NoCopy: m.NoCopy, VolumeOptions: m.VolumeOptions, TmpfsSize: m.TmpfsSize,
			TmpfsMode: volumes.UnixMode(m.TmpfsMode), FromShort: short, Mode: m.Mode})
		if short && m.Source != "" {
			h.Binds = append(h.Binds, m.Spec) // as given, as the docker CLI sends -v
		}
	}
	for _, groups := range []struct {
		specs []string
		parse func(string) (volumes.Mount, error)
		short bool
	}{{vols, volumes.ParseVolume, true}, {mounts, volumes.ParseMount, false}, {tmpfs, volumes.ParseTmpfs, false}} {
		for _, spec := range groups.specs {
			m, err := groups.parse(spec)
			if err != nil {
				return err
			}
			add(m, groups.short)
		}
	}
	return nil
}
