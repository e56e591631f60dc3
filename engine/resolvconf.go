package engine

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/containerd/errdefs"

	"berth/engine/dnsd"
)

// embeddedResolv is the resolv.conf of a container on a user-defined
// network, whose names berth's embedded DNS answers: ndots:0 as Docker
// writes it unless --dns-option sets ndots.
const embeddedResolv = "nameserver 127.0.0.11\noptions ndots:0\n"

// containerResolv is the /etc/resolv.conf of a container on the default
// bridge (embedded false) or on a user-defined network (embedded true), with
// h's --dns-search and --dns-option laid over it as Docker does.
func containerResolv(h *HostConfig, embedded bool) string {
	if !embedded {
		return withSearchOptions(resolvConf(h.DNS), h.DNSSearch, h.DNSOptions)
	}
	opts := h.DNSOptions
	if len(opts) > 0 && !slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "ndots:") }) {
		opts = append(slices.Clip(opts), "ndots:0")
	}
	return withSearchOptions(embeddedResolv, h.DNSSearch, opts)
}

// withSearchOptions replaces base's search (and domain) lines when search
// is given, and its options lines when options is given, as Docker's
// --dns-search and --dns-option do; a search of "." alone leaves no search
// line.
func withSearchOptions(base string, search, options []string) string {
	if len(search) == 0 && len(options) == 0 {
		return base
	}
	var out []string
	for _, l := range strings.Split(strings.TrimRight(base, "\n"), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) > 0 && len(search) > 0 && (f[0] == "search" || f[0] == "domain"):
		case len(f) > 0 && len(options) > 0 && f[0] == "options":
		case l == "" && len(out) == 0:
		default:
			out = append(out, l)
		}
	}
	if len(search) > 0 && !(len(search) == 1 && search[0] == ".") {
		out = append(out, "search "+strings.Join(search, " "))
	}
	if len(options) > 0 {
		out = append(out, "options "+strings.Join(options, " "))
	}
	return strings.Join(out, "\n") + "\n"
}

// validateResolvWords refuses a DNS search domain or option that would not
// be one word of resolv.conf's search or options line.
func validateResolvWords(search, options []string) error {
	for _, l := range []struct {
		what  string
		words []string
	}{{"DNS search domain", search}, {"DNS option", options}} {
		for _, w := range l.words {
			if !ResolvWordOK(w) {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s %q is not one word of resolv.conf", l.what, w))
			}
		}
	}
	return nil
}

// ResolvWordOK says whether w can be one word of a resolv.conf search or
// options line: not empty, no blank, no comment character.
func ResolvWordOK(w string) bool {
	return w != "" && !strings.ContainsAny(w, " \t\r\n\x00#;")
}

// resolvConf is --dns servers, or the host's resolvers less loopback ones.
func resolvConf(servers []string) string {
	if len(servers) == 0 {
		return hostResolvConf()
	}
	s := ""
	for _, d := range servers {
		s += "nameserver " + d + "\n"
	}
	return s
}

// dnsUpstreams are the servers the embedded DNS forwards to: --dns, or the
// host's.
func dnsUpstreams(servers []string) []string {
	if len(servers) == 0 {
		return dnsd.Upstreams("/etc/resolv.conf")
	}
	var out []string
	for _, d := range servers {
		out = append(out, net.JoinHostPort(d, "53"))
	}
	return out
}
