package engine

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"unicode"

	"github.com/containerd/errdefs"
)

// HostGateway is the address word of an extra host (`--add-host
// name:host-gateway`) that stands for the host as containers reach it: the
// gateway of the default bridge, as Docker resolves it.
const HostGateway = "host-gateway"

// ParseExtraHost reads one extra /etc/hosts entry as Docker takes it from
// --add-host and HostConfig.ExtraHosts: "name:addr" or "name=addr", the
// address an IPv4 or IPv6 address (in brackets or not) or host-gateway.
func ParseExtraHost(s string) (name, addr string, err error) {
	sep := strings.IndexAny(s, "=:")
	if sep > 0 {
		name, addr = s[:sep], s[sep+1:]
	}
	if a := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]"); len(a) == len(addr)-2 {
		addr = a // [2001:db8::1]
	}
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid extra host %q: want name:address", s))
	}
	if addr == HostGateway {
		return name, addr, nil
	}
	ip, perr := netip.ParseAddr(addr)
	if perr != nil {
		return "", "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid extra host %q: %q is not an IP address (nor %s)", s, addr, HostGateway))
	}
	return name, ip.String(), nil
}

// validateExtraHosts checks every extra host of a new container.
func validateExtraHosts(list []string) error {
	for _, h := range list {
		if _, _, err := ParseExtraHost(h); err != nil {
			return err
		}
	}
	return nil
}

// extraHosts is the /etc/hosts lines of a container's extra hosts, with
// host-gateway resolved to the default bridge's gateway.
func (e *Engine) extraHosts(ctx context.Context, list []string) (string, error) {
	s := ""
	for _, h := range list {
		name, addr, err := ParseExtraHost(h)
		if err != nil {
			return "", err
		}
		if addr == HostGateway {
			n, err := e.nets.Get(ctx, modeBridge)
			if err != nil {
				return "", fmt.Errorf("extra host %s: the default bridge: %w", name, err)
			}
			addr = n.Gateway.String()
		}
		s += addr + "\t" + name + "\n"
	}
	return s, nil
}
