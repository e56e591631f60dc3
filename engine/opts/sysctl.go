package opts

import "strings"

// ParseSysctls reads --sysctl KEY=VALUE values into a map (a later value
// of a key wins, as docker's); the engine decides which keys a container
// may set.
func ParseSysctls(vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, invalid("invalid --sysctl %q: want KEY=VALUE", kv)
		}
		out[k] = v
	}
	return out, nil
}
