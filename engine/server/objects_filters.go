package server

import (
	"sort"
	"strings"
)

// checkFilterKeys refuses a filter key the endpoint does not know, as Docker
// does ("invalid filter 'x'").
func checkFilterKeys(f map[string][]string, known ...string) error {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ok := false
		for _, kn := range known {
			ok = ok || k == kn
		}
		if !ok {
			return badRequest("invalid filter '%s'", k)
		}
	}
	return nil
}

// boolFilter reads a true/false filter (true, 1, false, 0); set is false when
// the key is absent.
func boolFilter(f map[string][]string, key string) (value, set bool, err error) {
	vals := f[key]
	if len(vals) == 0 {
		return false, false, nil
	}
	for _, v := range vals {
		switch strings.ToLower(v) {
		case "true", "1":
			value = true
		case "false", "0":
		default:
			return false, false, badRequest("invalid filter '%s=%s': want true or false", key, v)
		}
	}
	return value, true, nil
}

// labelsMatch says whether labels carry every label filter value ("key" or
// "key=value"), as Docker's label filters do.
func labelsMatch(labels map[string]string, want []string) bool {
	for _, l := range want {
		k, v, hasValue := strings.Cut(l, "=")
		got, ok := labels[k]
		if !ok || (hasValue && got != v) {
			return false
		}
	}
	return true
}
