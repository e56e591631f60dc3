package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A snapshot of what a test that starts a foreign daemon (dockerd) must leave
// as it found on the host: the network configuration (links, addresses,
// routes, policy rules, nftables and iptables rules) and the host paths
// where Docker keeps its state. Objects of berth itself (links and nftables
// tables named by netmgr's prefixes, rules carrying berth's tag) are left
// out: other packages' tests make and remove them while this one runs.

// hostState maps a section ("link", "nft", ...) to its lines, normalised.
type hostState map[string][]string

// berthLink matches the names netmgr gives kernel objects: the default
// "berth", an engine's "b<5 hex>" (a data root of its own), netmgr tests'
// "t<5 hex>", with bridges suffixed and host veths prefixed by "v"; the test
// clients' veths of netmgr/nettest ("nt<8 hex>"); and "if<index>", which ip
// prints for a link deleted while it listed routes (a link of a test running
// meanwhile: this test's own links outlive both listings).
var berthLink = regexp.MustCompile(`^(v?(berth|[bt][0-9a-f]{5})|nt[0-9a-f]{8}|if\d+$)`)

// volatile are parts of a line that change with time alone: address and
// route lifetimes, chain counters.
var volatile = regexp.MustCompile(`(valid_lft|preferred_lft|expires) \S+|\[\d+:\d+\]`)

// hostSnapshotCommands are the commands whose output makes the snapshot.
var hostSnapshotCommands = []struct {
	section string
	args    []string
}{
	{"link", []string{"ip", "-o", "link", "show"}},
	{"addr", []string{"ip", "-o", "addr", "show"}},
	{"route", []string{"ip", "route", "show", "table", "all"}},
	{"route6", []string{"ip", "-6", "route", "show", "table", "all"}},
	{"rule", []string{"ip", "rule", "show"}},
	{"rule6", []string{"ip", "-6", "rule", "show"}},
	{"nft", []string{"nft", "-s", "list", "ruleset"}},
	{"iptables", []string{"iptables-save"}},
	{"ip6tables", []string{"ip6tables-save"}},
}

// dockerHostPaths are where a Docker daemon left to its defaults keeps its
// sockets and state.
var dockerHostPaths = []string{"/run/docker", "/run/docker.sock", "/run/containerd", "/etc/docker",
	"/var/lib/docker", "/var/lib/containerd"}

// requireSnapshotTools skips t when a command the snapshot needs is missing.
func requireSnapshotTools(t *testing.T) {
	t.Helper()
	for _, c := range hostSnapshotCommands {
		if _, err := exec.LookPath(c.args[0]); err != nil {
			t.Skipf("SKIP: %s is missing; the host snapshot needs it", c.args[0])
		}
	}
}

// snapshotHost reads the host's state. Legacy (x_tables) rules are read only
// when the kernel already has such tables, so that reading loads no module.
func snapshotHost(t *testing.T) hostState {
	t.Helper()
	s := hostState{}
	for _, c := range hostSnapshotCommands {
		out, err := exec.Command(c.args[0], c.args[1:]...).Output()
		if err != nil {
			t.Fatalf("host snapshot: %s: %v", strings.Join(c.args, " "), err)
		}
		s[c.section] = normalise(c.section, string(out))
	}
	for _, l := range []struct{ names, save string }{
		{"/proc/net/ip_tables_names", "iptables-legacy-save"},
		{"/proc/net/ip6_tables_names", "ip6tables-legacy-save"},
	} {
		if b, err := os.ReadFile(l.names); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			out, err := exec.Command(l.save).Output()
			if err != nil {
				t.Fatalf("host snapshot: %s: %v", l.save, err)
			}
			s[l.save] = normalise(l.save, string(out))
		}
	}
	for _, p := range dockerHostPaths {
		if _, err := os.Lstat(p); err == nil {
			s["path"] = append(s["path"], p)
		}
	}
	return s
}

// normalise splits out into sorted lines without volatile parts, comments and
// berth's own objects.
func normalise(section, out string) []string {
	if section == "nft" {
		out = dropBerthTables(out)
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(volatile.ReplaceAllString(l, ""))
		if l == "" || strings.HasPrefix(l, "#") || isBerthLine(section, l) {
			continue
		}
		lines = append(lines, l)
	}
	slices.Sort(lines)
	return lines
}

// isBerthLine tells whether a line of section is about one of berth's objects.
func isBerthLine(section, l string) bool {
	if strings.Contains(l, `"berth net:`) || strings.Contains(l, `"berth ctr:`) {
		return true // a tagged rule in a table berth does not own
	}
	f := strings.Fields(l)
	switch section {
	case "link", "addr": // "7: name[@peer]: ..." and "7: name inet ..."
		return len(f) > 1 && berthLink.MatchString(strings.TrimSuffix(f[1], ":"))
	case "route", "route6":
		if i := slices.Index(f, "dev"); i >= 0 && i+1 < len(f) {
			return berthLink.MatchString(f[i+1])
		}
	}
	return false
}

// dropBerthTables removes the blocks of nftables tables berth owns from the
// output of nft list ruleset ("table FAMILY NAME {" up to a closing "}" at the
// start of a line).
func dropBerthTables(out string) string {
	var b strings.Builder
	skip := false
	for _, l := range strings.SplitAfter(out, "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[0] == "table" && f[3] == "{" {
			skip = berthLink.MatchString(f[2]) && !strings.HasPrefix(f[2], "v")
		}
		if !skip {
			b.WriteString(l)
		}
		if strings.HasPrefix(l, "}") {
			skip = false
		}
	}
	return b.String()
}

// diff lists what changed from s to after, as "-" (gone) and "+" (new) lines.
func (s hostState) diff(after hostState) []string {
	var out []string
	sections := map[string]bool{}
	for k := range s {
		sections[k] = true
	}
	for k := range after {
		sections[k] = true
	}
	keys := make([]string, 0, len(sections))
	for k := range sections {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		count := map[string]int{}
		for _, l := range s[k] {
			count[l]++
		}
		for _, l := range after[k] {
			count[l]--
		}
		var lines []string
		for l, n := range count {
			switch {
			case n > 0:
				lines = append(lines, fmt.Sprintf("- %s: %s", k, l))
			case n < 0:
				lines = append(lines, fmt.Sprintf("+ %s: %s", k, l))
			}
		}
		slices.Sort(lines)
		out = append(out, lines...)
	}
	return out
}

// checkHostUnchanged snapshots the host now and, when the test ends (after
// the cleanups registered later have run), fails it if anything differs.
func checkHostUnchanged(t *testing.T) {
	t.Helper()
	requireSnapshotTools(t)
	before := snapshotHost(t)
	t.Cleanup(func() {
		if d := before.diff(snapshotHost(t)); len(d) > 0 {
			t.Errorf("the host changed while the test ran:\n%s", strings.Join(d, "\n"))
		}
	})
}

func TestHostStateDiff(t *testing.T) {
	nft := func(extra string) string {
		return "table ip b8fd8c {\n\tchain forward {\n\t\tdrop comment \"berth net:1\"\n\t}\n}\n" +
			"table ip filter {\n\tchain FORWARD {\n\t\ttype filter hook forward priority filter; policy drop;\n" +
			"\t\tiifname \"b8fd8c0\" accept comment \"berth net:1\"\n" + extra + "\t}\n}\n"
	}
	docker0 := "3: docker0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN"
	eth0 := "2: eth0: <UP> mtu 1500 state UP"
	for _, tc := range []struct {
		name, section, before, after string
		want                         []string
	}{
		{"docker0 deleted", "link", eth0 + "\n" + docker0 + "\n", eth0 + "\n", []string{"- link: " + docker0}},
		{"berth's links come and go", "link", eth0 + "\n5: b8fd8c0: <UP>\n6: vb8fd8c01a2b@if2: <UP>\n",
			eth0 + "\n7: t0a1b2-9f: <UP>\n8: berth0: <UP>\n", nil},
		{"route6 of a link deleted while listing", "route6", "",
			"fe80::/64 dev if6201 proto kernel metric 256 pref medium\n", nil},
		{"nettest client veth", "link", "", "12: nt0a1b2c3d@if2: <BROADCAST> mtu 1500\n", nil},
		{"route via berth's bridge", "route", "default via 192.0.2.1 dev eth0\n",
			"default via 192.0.2.1 dev eth0\n10.213.0.0/24 dev b8fd8c0 proto kernel\n", nil},
		{"address lifetimes tick", "addr", "2: eth0 inet 192.0.2.2/24 valid_lft 86300sec preferred_lft 86300sec\n",
			"2: eth0 inet 192.0.2.2/24 valid_lft 86000sec preferred_lft 86000sec\n", nil},
		{"Docker's chain added", "nft", nft(""), nft("\t\tjump DOCKER-USER\n"), []string{"+ nft: jump DOCKER-USER"}},
		{"berth's tables and tagged rules", "nft", nft(""), strings.Replace(nft(""), "b8fd8c", "b0000a", 1), nil},
		{"iptables counters and comments", "iptables", "# Generated on Mon\n*filter\n:FORWARD DROP [0:0]\nCOMMIT\n",
			"# Generated on Tue\n*filter\n:FORWARD DROP [12:3400]\nCOMMIT\n", nil},
		{"policy changed", "iptables", "*filter\n:FORWARD ACCEPT [0:0]\n", "*filter\n:FORWARD DROP [0:0]\n",
			[]string{"+ iptables: :FORWARD DROP", "- iptables: :FORWARD ACCEPT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := hostState{tc.section: normalise(tc.section, tc.before)}
			after := hostState{tc.section: normalise(tc.section, tc.after)}
			if got := before.diff(after); !slices.Equal(got, tc.want) {
				t.Errorf("diff = %q, want %q", got, tc.want)
			}
		})
	}
}
