package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strings"

	"berth/engine/spec"
)

// securityOpts reads --security-opt values as Docker's CLI does: a seccomp
// profile named by path is read here and passed on as its compact JSON text
// ("seccomp={...}"), so the container keeps the profile it was created with.
// The engine checks every value again; the file is checked here so that its
// errors name it.
func securityOpts(in []string) ([]string, error) {
	var out []string
	for _, opt := range in {
		k, v, ok := strings.Cut(opt, "=")
		if !ok {
			k, v, _ = strings.Cut(opt, ":")
		}
		if k != "seccomp" || v == "" || v == spec.SeccompUnconfined || v == spec.SeccompBuiltin {
			out = append(out, opt)
			continue
		}
		body, err := os.ReadFile(v)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, invalid("cannot read seccomp profile %s: %v", v, err)
		}
		if err := spec.CheckSeccompProfile(body); err != nil {
			return nil, invalid("seccomp profile %s is not valid: %v", v, err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, body); err != nil {
			return nil, invalid("seccomp profile %s is not valid: %v", v, err)
		}
		out = append(out, "seccomp="+buf.String())
	}
	return out, nil
}
