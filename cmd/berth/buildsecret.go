package main

import (
	"os"
	"strings"
)

// parseSecrets reads `--secret` values as Docker does:
// id=ID[,src|source=FILE][,type=file|env][,env=VAR]. With neither src nor
// env, the value is the environment variable named ID, else the file ID.
func parseSecrets(specs []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, spec := range specs {
		id, val, err := parseSecret(spec)
		if err != nil {
			return nil, err
		}
		out[id] = val
	}
	return out, nil
}

// parseSecret reads one --secret value.
func parseSecret(spec string) (string, []byte, error) {
	var id, src, env, typ string
	for _, field := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return "", nil, invalid("invalid --secret %q: %q is not key=value", spec, field)
		}
		switch strings.ToLower(k) {
		case "id":
			id = v
		case "src", "source":
			src = v
		case "env":
			env = v
		case "type":
			if v != "file" && v != "env" {
				return "", nil, invalid("invalid --secret %q: type must be file or env", spec)
			}
			typ = v
		default:
			return "", nil, invalid("invalid --secret %q: unknown key %q", spec, k)
		}
	}
	if id == "" {
		return "", nil, invalid("invalid --secret %q: id is required", spec)
	}
	if _, set := os.LookupEnv(id); typ == "" && src == "" && env == "" && set {
		env = id
	}
	if typ == "env" && env == "" {
		env = src
		if env == "" {
			env = id
		}
	}
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", nil, invalid("--secret %s: environment variable %s is not set", id, env)
		}
		return id, []byte(v), nil
	}
	if src == "" {
		src = id
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return "", nil, invalid("--secret %s: %v", id, err)
	}
	return id, data, nil
}
