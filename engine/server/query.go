package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// filterArgs decodes a filters query parameter in either of the shapes
// Docker's clients send: {"key":{"v1":true}} or, from older ones,
// {"key":["v1","v2"]}. Absent, empty or null is no filter; a key whose
// values are all false or null is left out; anything else that does not
// decode is a 400 naming the parameter. Set values come sorted.
func filterArgs(raw string) (map[string][]string, error) {
	out := map[string][]string{}
	if raw == "" {
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, badRequest("invalid filters: %v", jsonProblem(err))
	}
	for k, v := range m {
		var list []string
		if err := json.Unmarshal(v, &list); err == nil {
			if len(list) > 0 {
				out[k] = list
			}
			continue
		}
		var set map[string]bool
		if err := json.Unmarshal(v, &set); err != nil {
			return nil, badRequest("invalid filters: the values of %q must be a list of strings or a set of them", k)
		}
		for val, on := range set {
			if on {
				out[k] = append(out[k], val)
			}
		}
		slices.Sort(out[k])
	}
	return out, nil
}

// queryBool reads a boolean query parameter as dockerd does: absent, "",
// "0", "no", "false" and "none" are false, anything else true.
func queryBool(q url.Values, name string) bool {
	switch strings.ToLower(strings.TrimSpace(q.Get(name))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// intQuery reads an integer query parameter; absent is def.
func intQuery(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("invalid value for %s: %q is not an integer", name, v)
	}
	return n, nil
}
