package engine

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"

	"berth/netmgr"
)

// NetworkFilters is a parsed network list filter with Docker's rules:
// driver, id, label, name, scope, type (custom or builtin) and dangling.
// id and name are regular expressions found anywhere (a value that does not
// compile is matched as plain text); labels must all match; the values of
// any other key are alternatives.
type NetworkFilters struct {
	args     map[string][]string
	types    map[string]bool
	dangling *bool
	res      map[string][]*regexp.Regexp
}

// ParseNetworkFilters checks a filters map as GET /networks takes it.
func ParseNetworkFilters(args map[string][]string) (*NetworkFilters, error) {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "driver", "id", "label", "name", "scope", "type", "dangling":
		default:
			return nil, invalidArg("invalid filter '%s'", k)
		}
	}
	nf := &NetworkFilters{args: args, types: map[string]bool{}, res: map[string][]*regexp.Regexp{}}
	for _, t := range args["type"] {
		if t != "custom" && t != "builtin" {
			return nil, invalidArg("invalid filter 'type=%s': want custom or builtin", t)
		}
		nf.types[t] = true
	}
	for _, v := range args["dangling"] {
		var d bool
		switch strings.ToLower(v) {
		case "true", "1":
			d = true
		case "false", "0":
		default:
			return nil, invalidArg("invalid filter 'dangling=%s': want true or false", v)
		}
		if nf.dangling == nil || d {
			nf.dangling = &d
		}
	}
	for _, key := range []string{"id", "name"} {
		for _, v := range args[key] {
			re, err := regexp.Compile(v)
			if err != nil {
				re = regexp.MustCompile(regexp.QuoteMeta(v))
			}
			nf.res[key] = append(nf.res[key], re)
		}
	}
	return nf, nil
}

// NeedsUse says whether Match asks whether a network is in use.
func (nf *NetworkFilters) NeedsUse() bool { return nf.dangling != nil }

// Match says whether n passes; used (called only when NeedsUse) says
// whether containers are on it.
func (nf *NetworkFilters) Match(n *Network, used func() bool) bool {
	predefined := netmgr.Predefined(n.Name)
	oneOf := func(key string, ok func(string) bool) bool {
		return len(nf.args[key]) == 0 || slices.ContainsFunc(nf.args[key], ok)
	}
	anyRe := func(key, s string) bool {
		return len(nf.res[key]) == 0 || slices.ContainsFunc(nf.res[key], func(re *regexp.Regexp) bool { return re.MatchString(s) })
	}
	labelOK := func(v string) bool {
		k, want, hasVal := strings.Cut(v, "=")
		got, ok := n.Labels[k]
		return ok && (!hasVal || got == want)
	}
	switch {
	case !oneOf("driver", func(v string) bool { return v == n.Driver }),
		!oneOf("scope", func(v string) bool { return v == "local" }),
		!anyRe("id", n.ID), !anyRe("name", n.Name), !allOf(nf.args["label"], labelOK):
		return false
	case len(nf.types) > 0 && !(nf.types["builtin"] && predefined || nf.types["custom"] && !predefined):
		return false
	}
	if nf.dangling != nil {
		if *nf.dangling {
			return !predefined && !used()
		}
		return predefined || used()
	}
	return true
}

// ListNetworks returns the networks that pass Docker's network list filters
// (none: every network); the predefined ones (bridge, host, none) are made
// on first use, as they are for a container.
func (e *Engine) ListNetworks(ctx context.Context, filters map[string][]string) ([]netmgr.Network, error) {
	nf, err := ParseNetworkFilters(filters)
	if err != nil {
		return nil, err
	}
	if _, err := e.nets.EnsureDefault(ctx); err != nil {
		return nil, err
	}
	ns, err := e.nets.List(ctx)
	if err != nil {
		return nil, err
	}
	out := ns[:0]
	for i := range ns {
		used := func() bool {
			members, err := e.liveMembers(ctx, ns[i].ID)
			return err == nil && len(members) > 0
		}
		if nf.Match(&ns[i], used) {
			out = append(out, ns[i])
		}
	}
	return out, nil
}
