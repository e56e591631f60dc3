package server

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"

	"berth/engine"
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

// containerFilter is a parsed container list filter: a container passes
// when, for every key given, one of the key's values matches it.
type containerFilter struct {
	args map[string][]string
	// before and since bound the creation time (from the named containers).
	before, since time.Time
	// ancestors are the chain IDs of the top layers of the ancestor images,
	// and their IDs; image reads the layers of a container's image.
	ancestors map[string]bool
	image     func(id string) []string
}

// containerFilterKey says whether k is one of Docker's container filters.
func containerFilterKey(k string) bool {
	switch k {
	case "id", "name", "label", "status", "exited", "ancestor", "before", "since",
		"volume", "network", "publish", "expose", "health", "is-task", "isolation":
		return true
	}
	return false
}

// newContainerFilter checks the filter values and resolves the ones that
// name other objects (before, since, ancestor).
func (s *Server) newContainerFilter(ctx context.Context, args map[string][]string) (*containerFilter, error) {
	f := &containerFilter{args: args, ancestors: map[string]bool{}}
	for k, vals := range args {
		if !containerFilterKey(k) {
			return nil, badRequest("invalid filter %q", k)
		}
		for _, v := range vals {
			if err := checkFilterValue(k, v); err != nil {
				return nil, err
			}
		}
	}
	for _, kv := range []struct {
		key string
		t   *time.Time
	}{{"before", &f.before}, {"since", &f.since}} {
		for _, ref := range args[kv.key] {
			c, err := s.eng.Inspect(ctx, ref)
			if err != nil {
				return nil, err
			}
			*kv.t = c.Created
		}
	}
	for _, ref := range args["ancestor"] {
		img, err := s.eng.InspectImage(ctx, ref)
		if errdefs.IsNotFound(err) {
			continue // no such image: nothing descends from it
		} else if err != nil {
			return nil, err
		}
		f.ancestors[img.ID] = true
		if n := len(img.Layers); n > 0 {
			f.ancestors[img.Layers[n-1].ChainID] = true
		}
	}
	cache := map[string][]string{}
	f.image = func(id string) []string {
		if got, ok := cache[id]; ok {
			return got
		}
		var chains []string
		if img, err := s.eng.InspectImage(ctx, id); err == nil {
			for _, l := range img.Layers {
				chains = append(chains, l.ChainID)
			}
		}
		cache[id] = chains
		return chains
	}
	return f, nil
}

// checkFilterValue refuses values Docker refuses.
func checkFilterValue(key, v string) error {
	switch key {
	case "status":
		switch v {
		case "created", "restarting", "running", "removing", "paused", "exited", "dead":
			return nil
		}
		return badRequest("invalid filter 'status=%s': want created, restarting, running, removing, paused, exited or dead", v)
	case "health":
		switch v {
		case "starting", "healthy", "unhealthy", "none":
			return nil
		}
		return badRequest("invalid filter 'health=%s': want starting, healthy, unhealthy or none", v)
	case "exited":
		if _, err := strconv.Atoi(v); err != nil {
			return badRequest("invalid filter 'exited=%s': not an exit code", v)
		}
	case "is-task":
		if v != "true" && v != "false" {
			return badRequest("invalid filter 'is-task=%s': want true or false", v)
		}
	case "publish", "expose":
		if _, _, err := portRange(v); err != nil {
			return badRequest("invalid filter '%s=%s': %v", key, v, err)
		}
	}
	return nil
}

// portRange reads PORT[-PORT][/PROTO] (tcp when no protocol is given).
func portRange(v string) (network.PortRange, string, error) {
	ports, proto, _ := strings.Cut(v, "/")
	if proto == "" {
		proto = "tcp"
	}
	pr, err := network.ParsePortRange(ports + "/" + proto)
	if err != nil {
		return pr, "", fmt.Errorf("want PORT[-PORT][/PROTO]")
	}
	return pr, proto, nil
}

// match reports whether c passes the filter.
func (f *containerFilter) match(c *engine.Container) bool {
	if !f.before.IsZero() && !c.Created.Before(f.before) {
		return false
	}
	if !f.since.IsZero() && !c.Created.After(f.since) {
		return false
	}
	for k, vals := range f.args {
		if k == "before" || k == "since" || len(vals) == 0 {
			continue
		}
		one := func(v string) bool { return f.matchOne(c, k, v) }
		// Every label given must match (compose asks for its project and
		// its one-off flag at once); the values of any other key are
		// alternatives.
		if k == "label" && !all(vals, one) || k != "label" && !slices.ContainsFunc(vals, one) {
			return false
		}
	}
	return true
}

// matchOne matches one key=value.
func (f *containerFilter) matchOne(c *engine.Container, key, v string) bool {
	switch key {
	case "id":
		return regexMatch(v, c.ID)
	case "name":
		return regexMatch(v, c.Name) || regexMatch(v, strings.TrimPrefix(c.Name, "/"))
	case "label":
		k, want, hasVal := strings.Cut(v, "=")
		got, ok := c.Config.Labels[k]
		return ok && (!hasVal || got == want)
	case "status":
		return c.State.Status == v
	case "exited":
		return c.State.Status == "exited" && strconv.Itoa(c.State.ExitCode) == v
	case "health":
		if c.State.Health == nil {
			return v == "none"
		}
		return c.State.Health.Status == v
	case "ancestor":
		return f.descends(c, v)
	case "volume":
		return slices.ContainsFunc(c.Mounts, func(m engine.MountPoint) bool {
			return m.Name == v || m.Source == v || m.Destination == v
		})
	case "network":
		for name, ep := range c.NetworkSettings.Networks {
			if name == v || ep != nil && ep.NetworkID != "" && strings.HasPrefix(ep.NetworkID, v) {
				return true
			}
		}
		return c.HostConfig.NetworkMode == v
	case "publish":
		return portsMatch(v, keysOf(c.HostConfig.PortBindings))
	case "expose":
		return portsMatch(v, keysOfSet(c.Config.ExposedPorts))
	case "is-task":
		return v == "false" // berth runs no swarm tasks
	case "isolation":
		return v == "default"
	}
	return false
}

// descends says whether c's image is the ancestor named v or built on it.
func (f *containerFilter) descends(c *engine.Container, v string) bool {
	if c.ImageRef == v || f.ancestors[c.Image] {
		return true
	}
	return slices.ContainsFunc(f.image(c.Image), func(chain string) bool { return f.ancestors[chain] })
}

// regexMatch is dockerd's filter match: a regular expression found
// anywhere; one that does not compile matches nothing.
func regexMatch(expr, s string) bool {
	ok, err := regexp.MatchString(expr, s)
	return err == nil && ok
}

func portsMatch(v string, ports []string) bool {
	pr, proto, err := portRange(v)
	if err != nil {
		return false
	}
	for _, p := range ports {
		port, err := network.ParsePort(p)
		if err != nil {
			continue
		}
		if string(port.Proto()) == proto && port.Num() >= pr.Start() && port.Num() <= pr.End() {
			return true
		}
	}
	return false
}

func keysOf(pm engine.PortMap) []string {
	out := make([]string, 0, len(pm))
	for k := range pm {
		out = append(out, k)
	}
	return out
}

func keysOfSet(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// all says whether every value passes ok.
func all(vals []string, ok func(string) bool) bool {
	for _, v := range vals {
		if !ok(v) {
			return false
		}
	}
	return true
}
