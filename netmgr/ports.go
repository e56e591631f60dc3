package netmgr

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
)

// PortMapping publishes a container port on the host. A zero HostIP means every
// host address; a zero HostPort means a free port chosen by Publish.
type PortMapping struct {
	HostIP        netip.Addr
	HostPort      uint16
	ContainerPort uint16
	Proto         string // tcp or udp
}

// String formats the mapping as docker port does: 80/tcp -> 0.0.0.0:8080.
func (p PortMapping) String() string {
	ip := "0.0.0.0"
	if p.HostIP.IsValid() {
		ip = p.HostIP.String()
	}
	return fmt.Sprintf("%d/%s -> %s", p.ContainerPort, p.Proto, netip.AddrPortFrom(netip.MustParseAddr(ip), p.HostPort))
}

// ParsePorts parses docker -p specs: [ip:][hostPort:]containerPort[/proto], where
// ports may be equal-length ranges (8000-8001:80-81), ip may be [v6], and an
// empty or missing host port means a random one. Errors are ErrInvalidArgument
// and name the spec.
func ParsePorts(specs []string) ([]PortMapping, error) {
	var out []PortMapping
	for _, s := range specs {
		ms, err := parsePort(s)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid port spec %q: %v", s, err))
		}
		out = append(out, ms...)
	}
	return out, nil
}

func parsePort(s string) ([]PortMapping, error) {
	rest, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return nil, fmt.Errorf("protocol %q: want tcp or udp", proto)
	}
	var ip netip.Addr
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return nil, fmt.Errorf("unterminated [address]")
		}
		a, err := netip.ParseAddr(rest[1:end])
		if err != nil || !a.Is6() {
			return nil, fmt.Errorf("host address %q: not an IPv6 address", rest[1:end])
		}
		ip, rest = a, rest[end+2:]
	}
	parts := strings.Split(rest, ":")
	var hostPart, ctrPart string
	switch {
	case len(parts) == 1:
		ctrPart = parts[0]
	case len(parts) == 2:
		hostPart, ctrPart = parts[0], parts[1]
	case len(parts) == 3 && !ip.IsValid():
		a, err := netip.ParseAddr(parts[0])
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("host address %q: not an IPv4 address (write IPv6 as [addr])", parts[0])
		}
		ip, hostPart, ctrPart = a, parts[1], parts[2]
	default:
		return nil, fmt.Errorf("too many colons")
	}
	clo, chi, err := portRange(ctrPart)
	if err != nil {
		return nil, fmt.Errorf("container port: %w", err)
	}
	hlo, hhi := uint16(0), uint16(0)
	if hostPart != "" {
		if hlo, hhi, err = portRange(hostPart); err != nil {
			return nil, fmt.Errorf("host port: %w", err)
		}
		if hhi-hlo != chi-clo {
			return nil, fmt.Errorf("host range %s and container range %s differ in size", hostPart, ctrPart)
		}
	}
	var out []PortMapping
	for i := 0; i <= int(chi-clo); i++ {
		m := PortMapping{HostIP: ip, ContainerPort: clo + uint16(i), Proto: proto}
		if hlo != 0 {
			m.HostPort = hlo + uint16(i)
		}
		out = append(out, m)
	}
	return out, nil
}

func portRange(s string) (uint16, uint16, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := portNum(lo)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return a, a, nil
	}
	b, err := portNum(hi)
	if err != nil {
		return 0, 0, err
	}
	if b < a {
		return 0, 0, fmt.Errorf("range %s ends before it starts", s)
	}
	return a, b, nil
}

func portNum(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 || n > 65535 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return uint16(n), nil
}
