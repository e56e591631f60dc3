package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNetworkVerbs(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("network", "create", "--subnet", "10.123.44.0/24", "--gateway", "10.123.44.1", "--label", "team=a", "appnet"))
	if len(id) != 64 {
		t.Fatalf("network create printed %q", id)
	}
	if out := c.ok("network", "ls", "--format", "{{.Name}} {{.Subnet}}"); !strings.Contains(out, "appnet 10.123.44.0/24") || !strings.Contains(out, "bridge ") {
		t.Errorf("network ls: %q", out)
	}
	c.ok("run", "-d", "--name", "api", "--network", "appnet", "--network-alias", "backend", "--ip", "10.123.44.10",
		"--mac-address", "02:42:0a:7b:2c:0a", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
	if got := c.ok("inspect", "-f", `{{(index .NetworkSettings.Networks "appnet").IPAddress}} {{(index .NetworkSettings.Networks "appnet").MacAddress}}`, "api"); got != "10.123.44.10 02:42:0a:7b:2c:0a\n" {
		t.Errorf("--ip/--mac-address: %q", got)
	}
	out := c.ok("run", "--rm", "--network", "appnet", "--add-host", "extra.test:192.0.2.9", "--hostname", "probe", "busybox",
		"sh", "-c", "wget -qO- http://backend/hostname; wget -qO- http://api/hostname; grep extra.test /etc/hosts; hostname")
	if !strings.Contains(out, "192.0.2.9\textra.test") || !strings.HasSuffix(out, "probe\n") || strings.Count(out, "\n") != 4 {
		t.Errorf("name resolution, --add-host, --hostname: %q", out)
	}
	var insp []struct {
		Containers map[string]struct{ Name, IPv4Address string }
		Labels     map[string]string
	}
	if err := json.Unmarshal([]byte(c.ok("network", "inspect", "appnet")), &insp); err != nil || len(insp) != 1 ||
		len(insp[0].Containers) != 1 || insp[0].Labels["team"] != "a" {
		t.Errorf("network inspect: %v %+v", err, insp)
	}
	if _, errOut, code := c.run("", "network", "rm", "appnet"); code == 0 || !strings.Contains(errOut, "endpoint") {
		t.Errorf("rm of a network in use: exit %d %q", code, errOut)
	}
	c.ok("network", "create", "other")
	c.ok("network", "connect", "--alias", "api2", "other", "api")
	if got := c.ok("inspect", "-f", `{{len .NetworkSettings.Networks}}`, "api"); got != "2\n" {
		t.Errorf("after connect: %q networks", got)
	}
	if out := c.ok("run", "--rm", "--network", "other", "busybox", "ping", "-c1", "-W2", "api2"); !strings.Contains(out, "1 packets received") {
		t.Errorf("alias on the second network: %q", out)
	}
	c.ok("network", "disconnect", "other", "api")
	c.ok("rm", "-f", "api")
	if out := c.ok("network", "prune", "-f"); !strings.Contains(out, "appnet") || !strings.Contains(out, "other") {
		t.Errorf("prune: %q", out)
	}
}

func TestPublishAndPortVerb(t *testing.T) {
	c := newCLI(t)
	lo, all := freePortCLI(t), freePortCLI(t)
	c.ok("run", "-d", "--name", "web", "-p", "127.0.0.1:"+lo+":80/tcp", "-p", all+":81", "busybox", "sh", "-c",
		"mkdir /www; echo hello-port > /www/index.html; httpd -p 81 -h /www; httpd -f -p 80 -h /www")
	if got, want := c.ok("port", "web"), "80/tcp -> 127.0.0.1:"+lo+"\n81/tcp -> 0.0.0.0:"+all+"\n"; got != want {
		t.Errorf("port: %q, want %q", got, want)
	}
	for args, want := range map[string]string{"80": "127.0.0.1:" + lo + "\n", "81/tcp": "0.0.0.0:" + all + "\n"} {
		if got := c.ok("port", "web", args); got != want {
			t.Errorf("port web %s: %q, want %q", args, got, want)
		}
	}
	if out, errOut, code := c.run("", "port", "web", "82"); code == 0 || out != "" || errOut != "berth: no public port '82/tcp' published for web\n" {
		t.Errorf("port web 82: exit %d %q %q", code, out, errOut)
	}
	for _, url := range []string{"http://127.0.0.1:" + lo + "/", "http://127.0.0.1:" + all + "/"} {
		if body := httpGetCLI(t, url); body != "hello-port\n" {
			t.Errorf("%s: %q", url, body)
		}
	}
	if _, errOut, code := c.run("", "run", "--rm", "-p", all+":80", "busybox", "true"); code != 125 || !strings.Contains(errOut, "already in use") {
		t.Errorf("port in use: exit %d %q", code, errOut)
	}
}

func TestNetworkBadInputCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("network", "create", "--subnet", "10.123.55.0/24", "first")
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"run", "--rm", "-p", "70000:80", "busybox", "true"}, "70000"},
		{[]string{"run", "--rm", "-p", "abc", "busybox", "true"}, "abc"},
		{[]string{"run", "--rm", "--network", "nosuchnet", "busybox", "true"}, "nosuchnet"},
		{[]string{"network", "create", "--subnet", "10.123.55.0/25", "overlap"}, "overlap"},
		{[]string{"network", "create", "--subnet", "10.123.56.0/24", "--gateway", "10.9.9.9", "gwout"}, "10.9.9.9"},
		{[]string{"network", "create", "first"}, "first"},
		{[]string{"run", "--rm", "--ip", "10.1.1.1", "busybox", "true"}, "user-defined"},
		{[]string{"run", "--rm", "--add-host", "nocolon", "busybox", "true"}, "--add-host"},
	}
	for _, tt := range tests {
		_, errOut, code := c.run("", tt.args...)
		if code != 125 || !strings.Contains(errOut, tt.err) {
			t.Errorf("%v: exit %d %q, want 125 and %q", tt.args, code, errOut, tt.err)
		}
	}
	if out := c.ok("network", "ls", "-q"); strings.Count(out, "\n") != 4 { // bridge, first, host, none
		t.Errorf("bad input created networks: %q", out)
	}
	if out := c.ok("ps", "-aq"); out != "" {
		t.Errorf("bad input created containers: %q", out)
	}
}

// TestPredefinedNetworksCLI: network ls lists bridge, host and none (sorted
// by name, as Docker does), inspect shows host and none, rm refuses them in
// one plain sentence, and --network host|none still run.
func TestPredefinedNetworksCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("network", "create", "appnet")
	if got, want := c.ok("network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}} {{.Subnet}}|"),
		"appnet bridge local 10."; !strings.HasPrefix(got, want) || !strings.Contains(got, "\nhost host local |\nnone null local |\n") ||
		!strings.Contains(got, "|\nbridge bridge local 10.") {
		t.Errorf("network ls: %q", got)
	}
	var insp []struct {
		Name, Id, Driver string
		IPAM             struct{ Config []map[string]string }
	}
	out := c.ok("network", "inspect", "host", "none")
	if err := json.Unmarshal([]byte(out), &insp); err != nil || len(insp) != 2 || insp[0].Name != "host" || insp[0].Driver != "host" ||
		insp[1].Name != "none" || insp[1].Driver != "null" || len(insp[0].IPAM.Config) != 0 || len(insp[0].Id) != 64 {
		t.Fatalf("network inspect host none: %v %s", err, out)
	}
	if got := c.ok("network", "inspect", "-f", "{{.Name}}", insp[0].Id[:12]); got != "host\n" {
		t.Errorf("inspect host by ID prefix: %q", got)
	}
	for _, name := range []string{"host", "none", "bridge"} {
		if out, errOut, code := c.run("", "network", "rm", name); code == 0 || out != "" ||
			errOut != "berth: "+name+" is a pre-defined network and cannot be removed\n" {
			t.Errorf("network rm %s: exit %d %q %q", name, code, out, errOut)
		}
	}
	if _, errOut, code := c.run("", "network", "connect", "host", mustRun(c)); code != 125 || !strings.Contains(errOut, "--network host") {
		t.Errorf("connect to host: exit %d %q", code, errOut)
	}
	if out := c.ok("network", "prune", "-f"); strings.Contains(out, "host") || strings.Contains(out, "none") {
		t.Errorf("prune: %q", out)
	}
	if got := c.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ls /sys/class/net"); got != "lo\n" {
		t.Errorf("--network none: %q", got)
	}
	if got := c.ok("run", "--rm", "--network", "host", "busybox", "cat", "/proc/net/route"); !strings.Contains(got, "Iface") {
		t.Errorf("--network host: %q", got)
	}
}

// mustRun starts a detached sleeping container and returns its name.
func mustRun(c *cli) string {
	c.ok("run", "-d", "--name", "idle", "busybox", "sleep", "100")
	return "idle"
}

func httpGetCLI(t *testing.T, url string) string {
	t.Helper()
	cl := http.Client{Timeout: 3 * time.Second}
	var last error
	for i := 0; i < 50; i++ {
		resp, err := cl.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}
