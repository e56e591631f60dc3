package images

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ConfigExt holds the fields of Docker's image config that
// go-containerregistry's v1.ConfigFile has no place for, so that berth keeps
// them through build, commit, save, load, push and pull.
//
// A config the store receives (pulled, loaded) is kept byte for byte, its
// unknown fields included; ConfigExt is what berth reads out of those bytes
// (ParseConfigExt) and what it writes into a config it makes (a field is
// written only when set, so a config without any is exactly what
// v1.ConfigFile marshals to). Keeping one more Docker field is one more
// field here and one more row in extFields.
type ConfigExt struct {
	// HealthStartInterval is config.Healthcheck.StartInterval (HEALTHCHECK
	// --start-interval), nanoseconds in the JSON as Docker writes it.
	HealthStartInterval time.Duration
}

// extField is one field of ConfigExt: where it sits in the config JSON and
// the field itself (as a pointer into a ConfigExt).
type extField struct {
	path []string
	ptr  func(x *ConfigExt) any
	set  func(x *ConfigExt) bool
	// needs is the object (a prefix of path) that must already be in the
	// config for the field to mean anything; the field is dropped without it.
	needs []string
}

// extFields lists ConfigExt's fields.
func extFields() []extField {
	return []extField{{
		path:  []string{"config", "Healthcheck", "StartInterval"},
		ptr:   func(x *ConfigExt) any { return &x.HealthStartInterval },
		set:   func(x *ConfigExt) bool { return x.HealthStartInterval != 0 },
		needs: []string{"config", "Healthcheck"},
	}}
}

// ParseConfigExt reads the extension fields of a raw image config. Keys
// match case-insensitively, as encoding/json (and so Docker) reads them.
func ParseConfigExt(raw []byte) (ConfigExt, error) { return parseConfigExt(raw, false) }

// parseConfigExt is ParseConfigExt; with decoded (raw is known to be valid
// JSON) it walks the JSON only for fields whose key is in it somewhere.
func parseConfigExt(raw []byte, decoded bool) (ConfigExt, error) {
	var x ConfigExt
	var lower []byte
	if decoded {
		lower = bytes.ToLower(raw)
	}
	for _, f := range extFields() {
		if decoded && !bytes.Contains(lower, []byte(`"`+strings.ToLower(f.path[len(f.path)-1])+`"`)) {
			continue
		}
		v, ok, err := jsonAt(raw, f.path)
		if err != nil {
			return x, fmt.Errorf("image config %s: %w", strings.Join(f.path, "."), err)
		}
		if !ok || bytes.Equal(v, []byte("null")) {
			continue
		}
		if err := json.Unmarshal(v, f.ptr(&x)); err != nil {
			return x, fmt.Errorf("image config %s: %w", strings.Join(f.path, "."), err)
		}
	}
	return x, nil
}

// marshalConfig encodes cfg with the set fields of x added. A field whose
// enclosing object cfg lacks (a start interval without a health check) is
// left out.
func marshalConfig(cfg *v1.ConfigFile, x ConfigExt) ([]byte, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	for _, f := range extFields() {
		if !f.set(&x) {
			continue
		}
		if v, ok, err := jsonAt(raw, f.needs); err != nil || !ok || bytes.Equal(v, []byte("null")) {
			continue
		}
		val, err := json.Marshal(f.ptr(&x))
		if err != nil {
			return nil, fmt.Errorf("encode config %s: %w", strings.Join(f.path, "."), err)
		}
		if raw, err = jsonSet(raw, f.path, val); err != nil {
			return nil, fmt.Errorf("encode config %s: %w", strings.Join(f.path, "."), err)
		}
	}
	return raw, nil
}

// jsonAt finds the value at path in a JSON object (keys matched
// case-insensitively, an exact match first); ok is false when some key of
// path is missing or a value on the way is not an object.
func jsonAt(raw []byte, path []string) (json.RawMessage, bool, error) {
	cur := json.RawMessage(raw)
	for _, k := range path {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(cur, &obj); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) { // not an object: nothing there
				return nil, false, nil
			}
			return nil, false, err
		}
		key, ok := findKey(obj, k)
		if !ok {
			return nil, false, nil
		}
		cur = obj[key]
	}
	return cur, true, nil
}

// jsonSet puts val at path in a JSON object, making the objects on the way.
func jsonSet(raw []byte, path []string, val json.RawMessage) ([]byte, error) {
	var obj map[string]json.RawMessage
	if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	key, ok := findKey(obj, path[0])
	if !ok {
		key = path[0]
	}
	if len(path) == 1 {
		obj[key] = val
	} else {
		sub, err := jsonSet(obj[key], path[1:], val)
		if err != nil {
			return nil, err
		}
		obj[key] = sub
	}
	return json.Marshal(obj)
}

// findKey is the key of obj that names k: k itself, else one equal to it
// under case folding.
func findKey(obj map[string]json.RawMessage, k string) (string, bool) {
	if _, ok := obj[k]; ok {
		return k, true
	}
	for have := range obj {
		if strings.EqualFold(have, k) {
			return have, true
		}
	}
	return "", false
}
