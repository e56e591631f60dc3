package server

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// imgQuery reads the query parameters of the image and build endpoints as
// dockerd reads them.
type imgQuery url.Values

// str is a parameter's first value.
func (q imgQuery) str(key string) string { return url.Values(q).Get(key) }

// all is every value of a repeated parameter.
func (q imgQuery) all(key string) []string { return url.Values(q)[key] }

// bool is a flag as dockerd reads one: absent, "", "0", "no", "false" and
// "none" are false, anything else true.
func (q imgQuery) bool(key string) bool {
	switch strings.ToLower(strings.TrimSpace(q.str(key))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// int64 is a number parameter; absent is 0.
func (q imgQuery) int64(key string) (int64, error) {
	v := q.str(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("the %s parameter must be a whole number, not %q", key, v)
	}
	return n, nil
}

// filters decodes the filters parameter: {"name":{"value":true}} or the
// older {"name":["value"]}.
func (q imgQuery) filters() (map[string][]string, error) {
	return parseImgFilters(q.str("filters"))
}

// parseImgFilters decodes a filters JSON object in either of its forms.
func parseImgFilters(raw string) (map[string][]string, error) {
	out := map[string][]string{}
	if raw == "" {
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, badRequest("the filters parameter is not a JSON object of filters: %v", jsonProblem(err))
	}
	for k, v := range m {
		var set map[string]bool
		if err := json.Unmarshal(v, &set); err == nil {
			for val, on := range set {
				if on {
					out[k] = append(out[k], val)
				}
			}
			continue
		}
		var list []string
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, badRequest("the filter %q must map values to true or list them", k)
		}
		out[k] = append(out[k], list...)
	}
	return out, nil
}

// jsonMap decodes a parameter holding a JSON object of strings (buildargs,
// labels); a null value is dropped, as dockerd drops it.
func (q imgQuery) jsonMap(key string) (map[string]string, error) {
	raw := q.str(key)
	out := map[string]string{}
	if raw == "" {
		return out, nil
	}
	var m map[string]*string
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, badRequest("the %s parameter is not a JSON object of strings: %v", key, jsonProblem(err))
	}
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out, nil
}
