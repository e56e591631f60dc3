package xray

import (
	"fmt"
	"strings"

	"berth/engine/xray"
	"berth/views"
)

// networkLines draws the Network section: each bridge attachment (veth
// pair, bridge, addresses), the routes inside the namespace, the published
// ports and the nftables rules that concern the container.
func networkLines(th views.Theme, r *xray.Report, width int) []string {
	about := func(s string) string { return th.Dim.Render("    " + s) }
	n := r.Network
	if r.HostNetwork {
		return []string{"  host network: shares the host's interfaces and ports", about("--network host: no isolation, no port mapping needed")}
	}
	if n == nil || len(n.Endpoints) == 0 {
		out := []string{"  own network namespace with loopback only", about("no bridge, no veth (--network none): it cannot reach out")}
		if n != nil && strings.HasPrefix(n.Mode, "container:") {
			out = []string{"  shares the network namespace of " + strings.TrimPrefix(n.Mode, "container:"),
				about("--network container:…: same interfaces, addresses and ports as that container")}
		}
		return append(out, errLine(th, n)...)
	}
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	for _, ep := range n.Endpoints {
		ifn := ep.IfName
		if ifn == "" {
			ifn = "eth?"
		}
		add(fmt.Sprintf("  %s  %s/%d  mac %s  on network %s", ifn, ep.IP, ep.Prefix, ep.MAC, ep.Network))
		if ep.HostVeth != "" {
			add(fmt.Sprintf("    veth %s ⇄ %s (host end), plugged into bridge %s", ifn, ep.HostVeth, orDash(ep.Bridge)),
				about("  veth pair: a virtual cable; one end is "+ifn+" in the container, the other is plugged into the bridge"))
		}
		if ep.Gateway.IsValid() {
			add(explain(th, fmt.Sprintf("    gateway %-22s ", ep.Gateway), "the bridge's own address: the container's way out", width)...)
		}
	}
	add("", "  "+th.Title.Render("Routes")+th.Dim.Render(" inside its namespace — where its packets go"))
	if len(n.Routes) == 0 {
		add(about("no routes"))
	}
	for _, rt := range n.Routes {
		add(explain(th, fmt.Sprintf("    %-34s ", routeText(rt)), routeAbout(rt), width)...)
	}
	add("", "  "+th.Title.Render("Published ports")+th.Dim.Render(" — host ports forwarded to it"))
	if len(n.Ports) == 0 {
		add(about("none (berth run -p 8080:80 publishes one)"))
	}
	for _, p := range n.Ports {
		add("    " + p)
	}
	add("", "  "+th.Title.Render("NAT and filter rules")+th.Dim.Render(" — nftables rules of berth's table that concern it"))
	if len(n.Rules) == 0 {
		add(about("none"))
	}
	for _, ru := range n.Rules {
		add(fmt.Sprintf("    %-11s %s", ru.Chain, views.Sanitize(ru.Expr)), th.Dim.Render("      "+RuleAbout(ru)))
	}
	return append(out, errLine(th, n)...)
}

func errLine(th views.Theme, n *xray.Network) []string {
	if n == nil || n.Err == "" {
		return nil
	}
	return []string{th.Warn.Render("    (not all could be read: " + views.Sanitize(n.Err) + ")")}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func routeText(rt xray.Route) string {
	s := rt.Dst
	if rt.Gateway.IsValid() {
		s += " via " + rt.Gateway.String()
	}
	return s + " dev " + rt.Dev
}

func routeAbout(rt xray.Route) string {
	switch {
	case rt.Dst == "default":
		return "everything else goes to the gateway, the bridge on the host"
	case rt.Dev == "lo":
		return "loopback"
	case !rt.Gateway.IsValid():
		return "this network's containers are reached directly, over the bridge"
	}
	return "reached through " + rt.Gateway.String()
}

// RuleAbout explains one nftables rule for a learner.
func RuleAbout(ru xray.Rule) string {
	port := field(ru.Expr, "dport ")
	target := field(ru.Expr, "dnat to ")
	switch {
	case ru.Kind == "dnat" && ru.Chain == "output":
		return "DNAT for connections made on the host itself to port " + port + " (127.0.0.1 goes through the userland proxy)"
	case ru.Kind == "dnat":
		return "DNAT: traffic to host port " + port + " is rewritten to " + target
	case ru.Kind == "masquerade" && strings.Contains(ru.Expr, "oifname !="):
		return "masquerade: outbound traffic leaves with the host's address"
	case ru.Kind == "masquerade":
		return "hairpin: when it reaches its own published port, the reply comes back through the host"
	case ru.Kind == "drop" && strings.Contains(ru.Expr, `*"`):
		return "isolation: nothing crosses from this bridge to other berth bridges"
	case ru.Kind == "drop":
		return "--internal: traffic between the bridge and the outside is dropped"
	case ru.Kind == "accept":
		return "lets the bridge's traffic through a FORWARD chain that drops by default"
	}
	return ru.Comment
}

// field returns the word after key in s ("" when absent).
func field(s, key string) string {
	_, rest, ok := strings.Cut(s, key)
	if !ok {
		return ""
	}
	w, _, _ := strings.Cut(rest, " ")
	return w
}
