package server

import (
	"encoding/json"
	"slices"
)

// filterArgs reads a filters query parameter in either of the shapes
// Docker's clients send: {"key":["v1","v2"]} or, from older ones,
// {"key":{"v1":true}}.
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
			out[k] = list
			continue
		}
		var set map[string]bool
		if err := json.Unmarshal(v, &set); err != nil {
			return nil, badRequest("invalid filters: the values of %q must be a list of strings", k)
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
