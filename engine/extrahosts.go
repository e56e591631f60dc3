package engine

import (
	"context"
	"fmt"
	"net/netip"
	"os"
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

// noneOrHostNet is the setup of a container with no network or the host's:
// nothing to attach, its /etc/hosts (the host's for host) with its extra
// hosts, as Docker writes them in these modes too.
func (e *Engine) noneOrHostNet(ctx context.Context, c *Container, mode string, ns *netSetup) (*netSetup, error) {
	if mode == modeNone {
		ns.hosts += "127.0.0.1\t" + c.Config.Hostname + "\n"
	} else {
		ns.hostNet = true
		ns.hosts, ns.resolv = readOr("/etc/hosts", baseHosts), readOr("/etc/resolv.conf", "")
	}
	ns.networks = e.networkRefs(ctx, []string{mode})
	extra, err := e.extraHosts(ctx, c.HostConfig.ExtraHosts)
	if extra != "" && !strings.HasSuffix(ns.hosts, "\n") {
		ns.hosts += "\n"
	}
	ns.hosts += extra
	return ns, err
}

// baseHosts are the lines every container's /etc/hosts starts with.
const baseHosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

// readOr is the content of the file at path, def when it cannot be read.
func readOr(path, def string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return def
	}
	return string(b)
}
