package server

import (
	"sort"
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

// anyOf says whether one of vals passes match; no values pass anything.
func anyOf(vals []string, match func(string) bool) bool {
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		if match(v) {
			return true
		}
	}
	return false
}
