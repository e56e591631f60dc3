package server

import (
	"regexp"
	"sort"

	"github.com/moby/moby/api/types/network"

	"berth/engine"
)

// bridgeOptionsKept are the bridge driver options whose Docker meaning is
// what a berth bridge network does anyway: each is accepted with the value
// given here (any other value is refused, as berth cannot honour it).
var bridgeOptionsKept = map[string]string{
	"com.docker.network.bridge.enable_icc":           "true",
	"com.docker.network.bridge.enable_ip_masquerade": "true",
	"com.docker.network.bridge.host_binding_ipv4":    "0.0.0.0",
	"com.docker.network.driver.mtu":                  "1500",
}

// networkCreateOptions maps a create request onto the engine's options,
// refusing with a 400 naming the field what a berth network cannot be.
func networkCreateOptions(req *network.CreateRequest) (engine.NetworkCreateOptions, error) {
	o := engine.NetworkCreateOptions{Name: req.Name, Internal: req.Internal, Labels: req.Labels}
	if req.Name == "" {
		return o, badRequest("the network name is empty")
	}
	switch {
	case req.Driver != "" && req.Driver != network.NetworkBridge:
		return o, badRequest("network driver %q is not supported: berth has the bridge driver", req.Driver)
	case req.Scope != "" && req.Scope != "local":
		return o, badRequest("network scope %q is not supported: berth networks are local", req.Scope)
	case req.EnableIPv6 != nil && *req.EnableIPv6:
		return o, badRequest("EnableIPv6 is not supported: berth networks are IPv4 only")
	case req.EnableIPv4 != nil && !*req.EnableIPv4:
		return o, badRequest("EnableIPv4 false is not supported: berth networks are IPv4")
	case req.Ingress || req.ConfigOnly || req.ConfigFrom != nil:
		return o, badRequest("ingress and config-only networks are swarm features berth does not have")
	}
	if err := checkBridgeOptions(req.Options); err != nil {
		return o, err
	}
	if req.IPAM == nil {
		return o, nil
	}
	if d := req.IPAM.Driver; d != "" && d != "default" {
		return o, badRequest("IPAM driver %q is not supported: berth has the default one", d)
	}
	if len(req.IPAM.Options) > 0 {
		return o, badRequest("IPAM options are not supported")
	}
	switch len(req.IPAM.Config) {
	case 0:
		return o, nil
	case 1:
	default:
		return o, badRequest("a berth network has one IPv4 subnet; %d IPAM configs were given", len(req.IPAM.Config))
	}
	c := req.IPAM.Config[0]
	switch {
	case c.Subnet.IsValid() && !c.Subnet.Addr().Is4():
		return o, badRequest("subnet %s is not IPv4: berth networks are IPv4 only", c.Subnet)
	case c.IPRange.IsValid() && c.IPRange != c.Subnet:
		return o, badRequest("IPRange %s is not supported: addresses are leased from the whole subnet", c.IPRange)
	case len(c.AuxAddress) > 0:
		return o, badRequest("AuxiliaryAddresses are not supported")
	}
	o.Subnet, o.Gateway = c.Subnet, c.Gateway
	return o, nil
}

// checkBridgeOptions accepts the driver options a berth bridge honours and
// refuses the others by name.
func checkBridgeOptions(opts map[string]string) error {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want, ok := bridgeOptionsKept[k]
		if !ok {
			return badRequest("network option %s is not supported by berth's bridge driver", k)
		}
		if opts[k] != want {
			return badRequest("network option %s=%s is not supported: berth's bridges have %s", k, opts[k], want)
		}
	}
	return nil
}

// netFilter is a parsed GET /networks filter.
type netFilter struct {
	f        map[string][]string
	types    map[string]bool
	dangling *bool
	needsUse bool
	res      map[string][]*regexp.Regexp
}

// networkFilter parses Docker's network list filters: driver, id, label,
// name, scope, type (custom|builtin) and dangling.
func networkFilter(f map[string][]string) (*netFilter, error) {
	if err := checkFilterKeys(f, "driver", "id", "label", "name", "scope", "type", "dangling"); err != nil {
		return nil, err
	}
	nf := &netFilter{f: f, types: map[string]bool{}, res: map[string][]*regexp.Regexp{}}
	for _, t := range f["type"] {
		if t != "custom" && t != "builtin" {
			return nil, badRequest("invalid filter: 'type'='%s'", t)
		}
		nf.types[t] = true
	}
	d, set, err := boolFilter(f, "dangling")
	if err != nil {
		return nil, err
	}
	if set {
		nf.dangling, nf.needsUse = &d, true
	}
	for _, key := range []string{"id", "name"} {
		for _, v := range f[key] {
			re, err := regexp.Compile(v)
			if err != nil {
				re = regexp.MustCompile(regexp.QuoteMeta(v))
			}
			nf.res[key] = append(nf.res[key], re)
		}
	}
	return nf, nil
}

// ok says whether n passes; used (nil unless a dangling filter is set) says
// whether containers are on it.
func (nf *netFilter) ok(n *engine.Network, used func() bool) bool {
	predefined := engine.PredefinedNetwork(n.Name)
	switch {
	case !anyOf(nf.f["driver"], func(v string) bool { return v == n.Driver }),
		!anyOf(nf.f["scope"], func(v string) bool { return v == "local" }),
		!anyRe(nf.res["id"], n.ID), !anyRe(nf.res["name"], n.Name),
		!labelsMatch(n.Labels, nf.f["label"]):
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

func anyOf(vals []string, match func(string) bool) bool {
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		if match(v) {
			return true
		}
	}
	return false
}

func anyRe(res []*regexp.Regexp, s string) bool {
	if len(res) == 0 {
		return true
	}
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
