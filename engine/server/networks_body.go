package server

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
)

// netAddrProbe holds the address fields of the network request bodies as
// text, so that a bad one is told in words before moby's types (which parse
// them as they decode) would answer with Go's parser messages.
type netAddrProbe struct {
	IPAM *struct {
		Config []struct {
			Subnet, IPRange, Gateway string
			AuxiliaryAddresses       map[string]string
		}
	}
	EndpointConfig *struct {
		IPAMConfig *struct {
			IPv4Address, IPv6Address string
		}
		MacAddress string
	}
}

// readNetJSON decodes a network request body into v, naming a bad address
// field in one sentence.
func readNetJSON(r *http.Request, v any) error {
	var raw json.RawMessage
	if err := readJSON(r, &raw); err != nil || len(raw) == 0 {
		return err
	}
	var p netAddrProbe
	if json.Unmarshal(raw, &p) == nil {
		if err := p.check(); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return badRequest("invalid JSON in the request body: %s", jsonProblem(err))
	}
	return nil
}

func (p *netAddrProbe) check() error {
	if p.IPAM != nil {
		for _, c := range p.IPAM.Config {
			if err := checkText("IPAM Subnet", c.Subnet, true); err != nil {
				return err
			}
			if err := checkText("IPAM IPRange", c.IPRange, true); err != nil {
				return err
			}
			if err := checkText("IPAM Gateway", c.Gateway, false); err != nil {
				return err
			}
			for k, a := range c.AuxiliaryAddresses {
				if err := checkText("IPAM AuxiliaryAddresses "+k, a, false); err != nil {
					return err
				}
			}
		}
	}
	if ec := p.EndpointConfig; ec != nil {
		if ec.IPAMConfig != nil {
			if err := checkText("IPv4Address", ec.IPAMConfig.IPv4Address, false); err != nil {
				return err
			}
			if err := checkText("IPv6Address", ec.IPAMConfig.IPv6Address, false); err != nil {
				return err
			}
		}
		if m := ec.MacAddress; m != "" {
			if _, err := net.ParseMAC(m); err != nil {
				return badRequest("invalid MacAddress %q: want a MAC address such as 02:42:ac:11:00:02", m)
			}
		}
	}
	return nil
}

// checkText checks one address (prefix when prefix) field; empty is unset.
func checkText(field, s string, prefix bool) error {
	if s == "" {
		return nil
	}
	if prefix {
		if _, err := netip.ParsePrefix(s); err != nil {
			return badRequest("invalid %s %q: want an address prefix such as 10.1.0.0/24", field, s)
		}
		return nil
	}
	if _, err := netip.ParseAddr(s); err != nil {
		return badRequest("invalid %s %q: want an IP address", field, s)
	}
	return nil
}
