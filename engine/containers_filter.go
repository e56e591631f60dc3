package engine

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"

	"berth/images"
)

// ContainerListOptions choose the containers ListContainers returns, as
// docker ps and GET /containers/json do.
type ContainerListOptions struct {
	// All lists stopped containers too (status, exited, before and since
	// filters and a Limit imply it, as in Docker).
	All bool
	// Limit, when above 0, keeps the newest Limit containers that pass.
	Limit int
	// Filters are Docker's container filters, key to values (see
	// ParseContainerFilters).
	Filters map[string][]string
}

// ContainerFilters is a parsed container list filter with Docker's rules: a
// container passes when, for every key given, one of the key's values
// matches it — except label, whose values must all match. id and name are
// regular expressions found anywhere in the ID or name; ancestor takes the
// named image and every image built on it.
type ContainerFilters struct {
	args map[string][]string
	// before and since bound the creation time (from the named containers).
	before, since time.Time
	// ancestors holds the IDs of the ancestor images and the chain IDs of
	// their top layers; layers gives the chain IDs of an image's layers.
	ancestors map[string]bool
	layers    func(imageID string) []string
}

// ContainerFilterLookup is what resolving a filter asks of an engine: the
// containers before and since name, the images ancestor names.
type ContainerFilterLookup interface {
	Inspect(ctx context.Context, ref string) (*Container, error)
	InspectImage(ctx context.Context, ref string) (*images.Image, error)
}

// ParseFilterFlags turns --filter KEY=VALUE flags into a filters map.
func ParseFilterFlags(values []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("bad format of filter %q (expected name=value)", v))
		}
		out[k] = append(out[k], val)
	}
	return out, nil
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

// ParseContainerFilters checks a filters map (the keys and values Docker
// accepts) and returns the filter; Resolve must run before Match for the
// before, since and ancestor keys to take effect.
func ParseContainerFilters(args map[string][]string) (*ContainerFilters, error) {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !containerFilterKey(k) {
			return nil, invalidArg("invalid filter %q", k)
		}
		for _, v := range args[k] {
			if err := checkContainerFilter(k, v); err != nil {
				return nil, err
			}
		}
	}
	return &ContainerFilters{args: args, ancestors: map[string]bool{}}, nil
}

func invalidArg(format string, a ...any) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, a...))
}

// checkContainerFilter refuses values Docker refuses.
func checkContainerFilter(key, v string) error {
	switch key {
	case "status":
		switch v {
		case "created", "restarting", "running", "removing", "paused", "exited", "dead":
			return nil
		}
		return invalidArg("invalid filter 'status=%s': want created, restarting, running, removing, paused, exited or dead", v)
	case "health":
		switch v {
		case "starting", "healthy", "unhealthy", "none":
			return nil
		}
		return invalidArg("invalid filter 'health=%s': want starting, healthy, unhealthy or none", v)
	case "exited":
		if _, err := strconv.Atoi(v); err != nil {
			return invalidArg("invalid filter 'exited=%s': not an exit code", v)
		}
	case "is-task":
		if v != "true" && v != "false" {
			return invalidArg("invalid filter 'is-task=%s': want true or false", v)
		}
	case "publish", "expose":
		if _, _, _, err := portRange(v); err != nil {
			return invalidArg("invalid filter '%s=%s': want PORT[-PORT][/PROTO]", key, v)
		}
	case "before", "since":
		if v == "" {
			return invalidArg("invalid filter '%s=': want a container", key)
		}
	}
	return nil
}

// impliesAll says whether the filter lists stopped containers without
// --all: a status (other than running alone), exited, before or since key.
func (f *ContainerFilters) impliesAll() bool {
	if st := f.args["status"]; len(st) > 0 && !(len(st) == 1 && st[0] == "running") {
		return true
	}
	return len(f.args["exited"]) > 0 || len(f.args["before"]) > 0 || len(f.args["since"]) > 0
}

// Resolve looks up what before, since and ancestor name: a missing before
// or since container is an error, a missing ancestor image matches nothing
// (as in Docker).
func (f *ContainerFilters) Resolve(ctx context.Context, l ContainerFilterLookup) error {
	for _, kv := range []struct {
		key string
		t   *time.Time
	}{{"before", &f.before}, {"since", &f.since}} {
		for _, ref := range f.args[kv.key] {
			c, err := l.Inspect(ctx, ref)
			if err != nil {
				return err
			}
			*kv.t = c.Created
		}
	}
	for _, ref := range f.args["ancestor"] {
		img, err := l.InspectImage(ctx, ref)
		if errdefs.IsNotFound(err) {
			continue
		} else if err != nil {
			return fmt.Errorf("resolve ancestor filter %q: %w", ref, err)
		}
		f.ancestors[img.ID] = true
		if n := len(img.Layers); n > 0 {
			f.ancestors[img.Layers[n-1].ChainID] = true
		}
	}
	cache := map[string][]string{}
	f.layers = func(id string) []string {
		if got, ok := cache[id]; ok {
			return got
		}
		var chains []string
		if img, err := l.InspectImage(ctx, id); err == nil {
			for _, layer := range img.Layers {
				chains = append(chains, layer.ChainID)
			}
		}
		cache[id] = chains
		return chains
	}
	return nil
}

// Match reports whether c passes the filter.
func (f *ContainerFilters) Match(c *Container) bool {
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
		if k == "label" && !allOf(vals, one) || k != "label" && !slices.ContainsFunc(vals, one) {
			return false
		}
	}
	return true
}

// matchOne matches one key=value.
func (f *ContainerFilters) matchOne(c *Container, key, v string) bool {
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
		return slices.ContainsFunc(c.Mounts, func(m MountPoint) bool {
			return m.Name == v || m.Source == v || m.Destination == v
		})
	case "network":
		return onNetwork(c, v)
	case "publish":
		return portsMatch(v, mapKeys(c.HostConfig.PortBindings))
	case "expose":
		return portsMatch(v, mapKeys(c.Config.ExposedPorts))
	case "is-task":
		return v == "false" // berth runs no swarm tasks
	case "isolation":
		return v == "default"
	}
	return false
}

// onNetwork says whether c is on the network named v (or whose ID starts
// with v), or runs in network mode v.
func onNetwork(c *Container, v string) bool {
	for name, ep := range c.NetworkSettings.Networks {
		if name == v || ep != nil && ep.NetworkID != "" && strings.HasPrefix(ep.NetworkID, v) {
			return true
		}
	}
	return c.HostConfig.NetworkMode == v
}

// descends says whether c's image is the ancestor named v or built on it.
func (f *ContainerFilters) descends(c *Container, v string) bool {
	if c.ImageRef == v || f.ancestors[c.Image] {
		return true
	}
	if f.layers == nil {
		return false
	}
	return slices.ContainsFunc(f.layers(c.Image), func(chain string) bool { return f.ancestors[chain] })
}

// regexMatch is dockerd's filter match: a regular expression found
// anywhere; one that does not compile matches nothing.
func regexMatch(expr, s string) bool {
	ok, err := regexp.MatchString(expr, s)
	return err == nil && ok
}

// portRange reads PORT[-PORT][/PROTO] (tcp when no protocol is given).
func portRange(v string) (lo, hi int, proto string, err error) {
	ports, proto, _ := strings.Cut(v, "/")
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return 0, 0, "", fmt.Errorf("unknown protocol %q", proto)
	}
	a, b, isRange := strings.Cut(ports, "-")
	if lo, err = portNumber(a); err != nil {
		return 0, 0, "", err
	}
	hi = lo
	if isRange {
		if hi, err = portNumber(b); err != nil {
			return 0, 0, "", err
		}
	}
	if hi < lo {
		return 0, 0, "", fmt.Errorf("port range %s ends before it starts", ports)
	}
	return lo, hi, proto, nil
}

func portNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return n, nil
}

// portsMatch says whether one of ports ("80/tcp") is in the range v.
func portsMatch(v string, ports []string) bool {
	lo, hi, proto, err := portRange(v)
	if err != nil {
		return false
	}
	for _, p := range ports {
		num, pr, _ := strings.Cut(p, "/")
		if pr == "" {
			pr = "tcp"
		}
		n, err := portNumber(num)
		if err == nil && pr == proto && n >= lo && n <= hi {
			return true
		}
	}
	return false
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// allOf says whether every value passes ok.
func allOf(vals []string, ok func(string) bool) bool {
	for _, v := range vals {
		if !ok(v) {
			return false
		}
	}
	return true
}

// ListContainers returns the containers that o selects, newest first.
func (e *Engine) ListContainers(ctx context.Context, o ContainerListOptions) ([]*Container, error) {
	f, err := ParseContainerFilters(o.Filters)
	if err != nil {
		return nil, err
	}
	if err := f.Resolve(ctx, e); err != nil {
		return nil, err
	}
	cs, err := e.List(ctx, o.All || o.Limit > 0 || f.impliesAll())
	if err != nil {
		return nil, err
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Created.After(cs[j].Created) })
	out := cs[:0]
	for _, c := range cs {
		if o.Limit > 0 && len(out) >= o.Limit {
			break
		}
		if f.Match(c) {
			out = append(out, c)
		}
	}
	e.listedImages(out)
	return out, nil
}

// listedImages names each listed container's image as Docker's ps does: by
// the name it was created from while that name still refers to its image,
// else (the tag moved on, or is gone) by the image's ID.
func (e *Engine) listedImages(cs []*Container) {
	ids := map[string]string{}
	for _, c := range cs {
		if c.ImageRef == "" || c.ImageRef == c.Image {
			continue
		}
		id, seen := ids[c.ImageRef]
		if !seen {
			if img, err := e.images.Resolve(c.ImageRef); err == nil {
				id = img.ID
			}
			ids[c.ImageRef] = id
		}
		if id != c.Image {
			c.ImageRef = c.Image
		}
	}
}
