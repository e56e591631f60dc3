package server

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// imgQuery reads the query parameters of the image and build endpoints as
// dockerd reads them.
type imgQuery url.Values

// str is a parameter's first value.
func (q imgQuery) str(key string) string { return url.Values(q).Get(key) }

// all is every value of a repeated parameter.
func (q imgQuery) all(key string) []string { return url.Values(q)[key] }

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
