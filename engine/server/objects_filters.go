package server

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// objFilters decodes the filters query parameter of a request: Docker's
// JSON map of key to a set ({"label":{"a=b":true}}) or, from old clients, to
// a list ({"label":["a=b"]}). Absent or empty is no filter; anything else
// that does not decode is a 400 naming the parameter.
func objFilters(r *http.Request) (map[string][]string, error) {
	raw := r.URL.Query().Get("filters")
	if raw == "" {
		return map[string][]string{}, nil
	}
	var sets map[string]map[string]bool
	if err := json.Unmarshal([]byte(raw), &sets); err == nil {
		out := make(map[string][]string, len(sets))
		for k, set := range sets {
			for v, on := range set {
				if on {
					out[k] = append(out[k], v)
				}
			}
			sort.Strings(out[k])
		}
		return out, nil
	}
	var lists map[string][]string
	if err := json.Unmarshal([]byte(raw), &lists); err != nil {
		return nil, badRequest("invalid filters parameter %q: want a JSON object of filter names to values", raw)
	}
	if lists == nil {
		lists = map[string][]string{}
	}
	return lists, nil
}

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

// objQueryBool reads a boolean query parameter as Docker does: anything but
// "", 0, no, false and none is true.
func objQueryBool(r *http.Request, key string) bool {
	switch strings.ToLower(strings.TrimSpace(r.URL.Query().Get(key))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}
