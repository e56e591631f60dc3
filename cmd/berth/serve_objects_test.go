package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// testSubnet is a /24 for a test's network, picked at random in a range
// berth's pool never hands out, so parallel tests rarely meet.
func testSubnet() (subnet, gateway, host string) {
	n := rand.IntN(250) + 1
	return fmt.Sprintf("10.239.%d.0/24", n), fmt.Sprintf("10.239.%d.1", n), fmt.Sprintf("10.239.%d.9", n)
}

// wantNetworkGone checks that nothing of a removed network is left in the
// kernel: its bridge, a veth on it, an nftables rule tagged with its ID.
func wantNetworkGone(t *testing.T, id, bridge string) {
	t.Helper()
	if out, _ := exec.Command("ip", "-o", "link", "show").Output(); strings.Contains(string(out), bridge) {
		t.Errorf("bridge %s (or a veth on it) left after the network was removed", bridge)
	}
	if out, err := exec.Command("nft", "-a", "list", "ruleset").Output(); err == nil && strings.Contains(string(out), "berth net:"+id) {
		t.Errorf("nft rules of network %s left after it was removed", id[:12])
	}
}

// TestServeNetworksDockerCLI: docker network create/ls (filters)/inspect/
// connect/disconnect/rm/prune against berth serve, leaving no kernel object.
func TestServeNetworksDockerCLI(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	subnet, gw, ip := testSubnet()
	id := strings.TrimSpace(s.dockerOK("network", "create", "--subnet", subnet, "--gateway", gw, "--label", "team=a", "srvnet1"))
	if len(id) != 64 {
		t.Fatalf("docker network create printed %q", id)
	}
	other := strings.TrimSpace(s.dockerOK("network", "create", "--internal", "srvnet2"))
	// A user network shows only the options it was given (docker-compose
	// recreates one that shows others); berth's own call names its bridge.
	if got := strings.TrimSpace(s.dockerOK("network", "inspect", "-f", "{{json .Options}}", "srvnet1")); got != "{}" {
		t.Errorf("options of a network made without any: %s, want {}", got)
	}
	code, body := s.imgAPI("GET", "/berth/network-bridges", "", nil)
	var bridges map[string]string
	if err := json.Unmarshal([]byte(body), &bridges); code != 200 || err != nil || bridges[id] == "" || bridges[other] == "" {
		t.Fatalf("GET /berth/network-bridges: %d %s (%v)", code, body, err)
	}
	bridge, bridge2 := bridges[id], bridges[other]
	for _, tc := range []struct{ filter, want string }{
		{"label=team=a", "srvnet1"},
		{"name=srvnet2", "srvnet2"},
		{"type=custom", "srvnet1 srvnet2"},
		{"type=builtin", "bridge host none"},
		{"driver=null", "none"},
		{"id=" + id[:10], "srvnet1"},
		{"dangling=true", "srvnet1 srvnet2"},
	} {
		out := s.dockerOK("network", "ls", "--filter", tc.filter, "--format", "{{.Name}}")
		if got := strings.Join(strings.Fields(out), " "); got != tc.want {
			t.Errorf("network ls --filter %s: %q, want %q", tc.filter, got, tc.want)
		}
	}
	if got := s.dockerOK("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}} {{.Labels.team}}", "srvnet1"); got != subnet+" "+gw+" false a\n" {
		t.Errorf("network inspect: %q", got)
	}
	if _, errOut, code := s.docker("", "network", "create", "srvnet1"); code == 0 || !strings.Contains(errOut, "already exists") {
		t.Errorf("duplicate network create: exit %d %q", code, errOut)
	}
	if _, errOut, code := s.docker("", "network", "create", "-d", "macvlan", "srvnet3"); code == 0 || !strings.Contains(errOut, `"macvlan"`) {
		t.Errorf("network create -d macvlan: exit %d %q", code, errOut)
	}
	s.ok("run", "-d", "--name", "netc", "busybox", "sleep", "600")
	s.dockerOK("network", "connect", "--alias", "webby", "--ip", ip, "srvnet1", "netc")
	got := s.dockerOK("network", "inspect", "-f", `{{range $id, $c := .Containers}}{{$c.Name}} {{$c.IPv4Address}} {{$c.EndpointID}}{{end}}`, "srvnet1")
	epID := strings.TrimSpace(s.ok("inspect", "-f", `{{(index .NetworkSettings.Networks "srvnet1").EndpointID}}`, "netc"))
	if want := "netc " + ip + "/24 " + epID + "\n"; got != want || epID == "" {
		t.Errorf("network inspect Containers: %q, want %q", got, want)
	}
	if out := s.ok("exec", "netc", "ip", "-o", "-4", "addr"); !strings.Contains(out, ip+"/24") {
		t.Errorf("the container has no address %s after connect: %q", ip, out)
	}
	if out := s.dockerOK("network", "ls", "--filter", "dangling=false", "--format", "{{.Name}}"); !strings.Contains(out, "srvnet1") || strings.Contains(out, "srvnet2") {
		t.Errorf("network ls --filter dangling=false: %q", out)
	}
	if _, errOut, code := s.docker("", "network", "rm", "srvnet1"); code == 0 || !strings.Contains(errOut, "active endpoints") {
		t.Errorf("rm of a network in use: exit %d %q", code, errOut)
	}
	s.dockerOK("network", "disconnect", "--force", "srvnet1", "netc")
	if out, _ := exec.Command("ip", "-o", "link", "show", "master", bridge).Output(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("a veth is still on %s after disconnect: %s", bridge, out)
	}
	if _, errOut, code := s.docker("", "network", "rm", "bridge"); code == 0 || !strings.Contains(errOut, "pre-defined") {
		t.Errorf("rm bridge: exit %d %q", code, errOut)
	}
	s.dockerOK("network", "rm", "srvnet1")
	wantNetworkGone(t, id, bridge)
	s.dockerOK("network", "create", "--label", "keep", "srvnet4")
	if out := s.dockerOK("network", "prune", "-f", "--filter", "label!=keep"); !strings.Contains(out, "srvnet2") || strings.Contains(out, "srvnet4") {
		t.Errorf("network prune --filter label!=keep: %q", out)
	}
	wantNetworkGone(t, other, bridge2)
	if out := s.dockerOK("network", "prune", "-f"); !strings.Contains(out, "srvnet4") {
		t.Errorf("network prune: %q", out)
	}
	if out := s.dockerOK("network", "ls", "--format", "{{.Name}}"); strings.Join(strings.Fields(out), " ") != "bridge host none" {
		t.Errorf("networks left after prune: %q", out)
	}
	// Nothing left to prune: dockerd 20.10 answers null, not [].
	if code, body := s.imgAPI("POST", "/v1.41/networks/prune", "", nil); code != 200 || strings.TrimSpace(body) != `{"NetworksDeleted":null}` {
		t.Errorf("network prune of nothing: %d %s", code, body)
	}
	if code, body := s.imgAPI("POST", "/v1.41/images/prune", "", nil); code != 200 || strings.TrimSpace(body) != `{"ImagesDeleted":null,"SpaceReclaimed":0}` {
		t.Errorf("image prune of nothing: %d %s", code, body)
	}
}

// TestServeVolumesDockerCLI: docker volume create/ls/inspect/rm/prune.
func TestServeVolumesDockerCLI(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	if out := s.dockerOK("volume", "create", "--label", "tier=db", "srvvol1"); out != "srvvol1\n" {
		t.Errorf("volume create: %q", out)
	}
	s.dockerOK("volume", "create", "srvvol2")
	anon := strings.TrimSpace(s.dockerOK("volume", "create"))
	if len(anon) != 64 {
		t.Errorf("volume create without a name: %q", anon)
	}
	if out := s.dockerOK("volume", "ls", "--filter", "label=tier=db", "-q"); out != "srvvol1\n" {
		t.Errorf("volume ls --filter label: %q", out)
	}
	if out := s.dockerOK("volume", "ls", "--filter", "name=vol2", "--format", "{{.Driver}} {{.Name}}"); out != "local srvvol2\n" {
		t.Errorf("volume ls --filter name: %q", out)
	}
	if out := s.dockerOK("volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Scope}} {{.Labels.tier}}", "srvvol1"); out != "srvvol1 local local db\n" {
		t.Errorf("volume inspect: %q", out)
	}
	if _, errOut, code := s.docker("", "volume", "create", "-d", "nfs", "x"); code == 0 || !strings.Contains(errOut, `"nfs"`) {
		t.Errorf("volume create -d nfs: exit %d %q", code, errOut)
	}
	s.ok("run", "-d", "--name", "volc", "-v", "srvvol1:/data", "busybox", "sleep", "600")
	if out := s.dockerOK("volume", "ls", "--filter", "dangling=true", "-q"); strings.Contains(out, "srvvol1") || !strings.Contains(out, "srvvol2") {
		t.Errorf("volume ls --filter dangling=true: %q", out)
	}
	if _, errOut, code := s.docker("", "volume", "rm", "srvvol1"); code == 0 || !strings.Contains(errOut, "in use") {
		t.Errorf("rm of a volume in use: exit %d %q", code, errOut)
	}
	s.dockerOK("volume", "rm", "-f", "nosuchvolume")
	if out := s.dockerOK("volume", "prune", "-f"); !strings.Contains(out, anon) || strings.Contains(out, "srvvol2") {
		t.Errorf("volume prune (anonymous only): %q", out)
	}
	if out := s.dockerOK("volume", "prune", "-af", "--filter", "label=tier=db"); strings.Contains(out, "srvvol") {
		t.Errorf("volume prune -a --filter label=tier=db removed %q (srvvol1 is in use)", out)
	}
	if out := s.dockerOK("volume", "prune", "-af"); !strings.Contains(out, "srvvol2") || strings.Contains(out, "srvvol1") {
		t.Errorf("volume prune -a: %q", out)
	}
	s.dockerOK("volume", "create", "srvvol3")
	// A client of API 1.41 (dockerd 20.10's) prunes named volumes too.
	if code, body := s.imgAPI("POST", "/v1.41/volumes/prune", "", nil); code != 200 || !strings.Contains(body, `"srvvol3"`) || strings.Contains(body, "srvvol1") {
		t.Errorf("volume prune at API 1.41: %d %s", code, body)
	}
	s.ok("rm", "-f", "volc")
	s.dockerOK("volume", "rm", "srvvol1")
	if out := s.dockerOK("volume", "ls", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("volumes left: %q", out)
	}
}

// TestServeEventsDockerCLI: docker events over a past window ends by itself
// with the container's events in Docker's shape; a live stream shows a
// change berth makes while it runs.
func TestServeEventsDockerCLI(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	if _, errOut, code := s.run("", "run", "--name", "evc", "busybox", "sh", "-c", "exit 3"); code != 3 {
		t.Fatalf("berth run ... exit 3: exit %d %s", code, errOut)
	}
	s.ok("rm", "evc")
	// The docker CLI sends --until 0s as whole Unix seconds: wait for the
	// next second so that the window holds the events just made.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	out := s.dockerOK("events", "--since", "1m", "--until", "0s", "--filter", "container=evc",
		"--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Scope}} {{index .Actor.Attributes \"exitCode\"}}")
	want := []string{"container create evc local", "container start evc local", "container die evc local 3", "container destroy evc local"}
	for _, w := range want {
		if !strings.Contains(out, w+" ") && !strings.Contains(out, w+"\n") {
			t.Errorf("docker events --since 1m --until 0s: no %q in\n%s", w, out)
		}
	}
	live := exec.Command("docker", "events", "--since", fmt.Sprint(time.Now().Add(-time.Second).Unix()),
		"--filter", "type=container", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
	live.Env = s.env
	stdout, err := live.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	s.ok("volume", "create", "evvol") // not a container event: filtered out
	s.ok("create", "--name", "evlive", "busybox", "true")
	deadline := time.After(time.Minute) // a bound for a hang, not a timing assertion
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("docker events ended without the container's create event")
			}
			if l == "create evvol" {
				t.Errorf("docker events --filter type=container showed a volume event")
			}
			if l == "create evlive" {
				return
			}
		case <-deadline:
			t.Fatal("docker events showed no create event in a minute after berth created a container")
		}
	}
}

// TestServeSystemDfDockerCLI: docker system df and -v read berth's usage.
func TestServeSystemDfDockerCLI(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.ok("run", "-d", "--name", "dfc", "-v", "dfvol:/data", "busybox", "sleep", "600")
	out := s.dockerOK("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}")
	for _, w := range []string{"Images 1 1", "Containers 1 1", "Local Volumes 1 1", "Build Cache 0 0"} {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("docker system df: no %q in\n%s", w, out)
		}
	}
	code, body := objAPI(t, s.sock, "GET", "/v1.50/system/df?type=volume", "")
	var du struct {
		Images  []any
		Volumes []struct {
			Name      string
			UsageData struct{ RefCount int64 }
		}
	}
	if err := json.Unmarshal([]byte(body), &du); code != 200 || err != nil || du.Images != nil ||
		len(du.Volumes) != 1 || du.Volumes[0].Name != "dfvol" || du.Volumes[0].UsageData.RefCount != 1 {
		t.Errorf("GET /system/df?type=volume: %d %s", code, body)
	}
	out = s.dockerOK("system", "df", "-v")
	for _, w := range []string{"busybox", "dfc", "dfvol"} {
		if !strings.Contains(out, w) {
			t.Errorf("docker system df -v: no %q in\n%s", w, out)
		}
	}
}

// TestServeObjectsDockerPy: docker-py's networks, volumes, events and df.
func TestServeObjectsDockerPy(t *testing.T) {
	s := newServed(t)
	s.ok("run", "-d", "--name", "pyc", "busybox", "sleep", "600")
	out, errOut, code := s.python(`
import docker, time
c = docker.from_env()
start = int(time.time()) - 1
n = c.networks.create("pynet", labels={"k": "v"})
print("list", [x.name for x in c.networks.list(filters={"label": "k=v"})])
c.networks.get("pynet").connect("pyc", aliases=["al"])
n.reload()
print("members", [e["Name"] for e in n.attrs["Containers"].values()])
n.disconnect("pyc")
n.remove()
v = c.volumes.create("pyvol", labels={"a": "b"})
print("vols", [x.name for x in c.volumes.list(filters={"label": "a=b"})])
c.volumes.get("pyvol").remove()
until = int(time.time()) + 1
evs = list(c.events(decode=True, since=start, until=until, filters={"type": ["network"], "network": ["pynet"]}))
evs += list(c.events(decode=True, since=start, until=until, filters={"type": ["volume"]}))
print("events", " ".join(e["Type"] + ":" + e["Action"] for e in evs))
df = c.df()
print("df", df["ImageUsage"]["TotalCount"], df["ContainerUsage"]["ActiveCount"])
old = docker.from_env(version="1.50")
dfo = old.df()
print("dfold", len(dfo["Images"]), dfo["LayersSize"] > 0, len(dfo["Containers"]))
`)
	if code != 0 {
		t.Fatalf("docker-py: exit %d: %s", code, errOut)
	}
	for _, w := range []string{"list ['pynet']", "members ['pyc']", "vols ['pyvol']",
		"events network:create network:connect network:disconnect network:destroy volume:create volume:destroy",
		"df 1 1", "dfold 1 True 1"} {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("docker-py: no %q in\n%s", w, out)
		}
	}
}

// objAPI sends one plain HTTP request to the server's socket and returns
// the status and body.
func objAPI(t *testing.T, sock, method, path, body string) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	req, err := http.NewRequest(method, "http://berth"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeObjectsStatusCodes: Docker's 404/409/400/403 answers of the
// networks, volumes, events and df endpoints, each with one plain sentence;
// a refused request changes nothing.
func TestServeObjectsStatusCodes(t *testing.T) {
	s := newServed(t)
	s.ok("network", "create", "usednet")
	s.ok("run", "-d", "--name", "codec", "--network", "usednet", "-v", "usedvol:/data", "busybox", "sleep", "600")
	q := url.QueryEscape
	for _, tc := range []struct {
		method, path, body string
		code               int
		msg                string
	}{
		{"GET", "/v1.50/networks/nosuchnet", "", 404, "network nosuchnet not found"},
		{"GET", "/volumes/nosuchvol", "", 404, "nosuchvol"},
		{"DELETE", "/volumes/nosuchvol", "", 404, "nosuchvol"},
		{"DELETE", "/volumes/nosuchvol?force=1", "", 204, ""},
		{"DELETE", "/networks/nosuchnet", "", 404, "nosuchnet"},
		{"POST", "/networks/create", `{"Name":"usednet"}`, 409, "already exists"},
		{"POST", "/networks/create", `{"Name":"x1","Driver":"macvlan"}`, 400, `"macvlan"`},
		{"POST", "/networks/create", `{"Name":"x1","EnableIPv6":true}`, 400, "EnableIPv6"},
		{"POST", "/networks/create", `{"Name":"x1","Options":{"com.docker.network.bridge.name":"br9"}}`, 400, "com.docker.network.bridge.name"},
		{"POST", "/networks/create", `{"Name":"x1","IPAM":{"Config":[{"Subnet":"10.239.0.0/24","IPRange":"10.239.0.128/25"}]}}`, 400, "IPRange"},
		{"POST", "/networks/create", `{"Name":"x1","IPAM":{"Config":[{"Subnet":"not-a-subnet"}]}}`, 400, `invalid IPAM Subnet "not-a-subnet"`},
		{"POST", "/networks/create", `{"Name":`, 400, "invalid JSON"},
		{"POST", "/networks/create", `{"Name":7}`, 400, `field "Name" must be a string`},
		{"POST", "/networks/create", `{}`, 400, "name is empty"},
		{"POST", "/networks/create", `{"Name":"host"}`, 403, "predefined host network"},
		{"DELETE", "/networks/bridge", "", 403, "pre-defined"},
		{"DELETE", "/networks/host", "", 403, "pre-defined"},
		{"DELETE", "/networks/usednet", "", 409, "active endpoints"},
		{"POST", "/networks/nosuchnet/connect", `{"Container":"codec"}`, 404, "nosuchnet"},
		{"POST", "/networks/bridge/connect", `{"Container":"nosuchctr"}`, 404, "nosuchctr"},
		{"POST", "/networks/usednet/connect", `{"Container":"codec"}`, 409, "already connected"},
		{"POST", "/networks/usednet/connect", `{}`, 400, "Container"},
		{"POST", "/networks/usednet/connect", `{"Container":"x","EndpointConfig":{"IPAMConfig":{"IPv4Address":"1.2.3"}}}`, 400, `invalid IPv4Address "1.2.3"`},
		{"POST", "/networks/usednet/connect", `{"Container":"x","EndpointConfig":{"MacAddress":"zz"}}`, 400, `invalid MacAddress "zz"`},
		{"POST", "/networks/bridge/disconnect", `{"Container":"codec"}`, 404, "not connected"},
		{"POST", "/volumes/create", `{"Name":"v1","Driver":"nfs"}`, 404, `volume plugin "nfs" not found`},
		{"POST", "/volumes/create", `{"Name":"bad/name"}`, 400, "invalid characters"},
		{"DELETE", "/volumes/usedvol", "", 409, "in use"},
		{"GET", "/networks?filters=" + q(`{"type":{"bogus":true}}`), "", 400, "bogus"},
		{"GET", "/networks?filters=" + q(`{"nope":{"x":true}}`), "", 400, "invalid filter 'nope'"},
		{"GET", "/networks?filters=notjson", "", 400, "filters"},
		{"GET", "/volumes?filters=" + q(`{"colour":["red"]}`), "", 400, "invalid filter 'colour'"},
		{"POST", "/volumes/prune?filters=" + q(`{"until":["1h"]}`), "", 400, "invalid filter 'until'"},
		{"POST", "/networks/prune?filters=" + q(`{"until":["soon"]}`), "", 400, "until"},
		{"GET", "/events?since=garbage", "", 400, "since"},
		{"GET", "/events?until=1&filters=" + q(`{"flavour":["x"]}`), "", 400, "invalid filter 'flavour'"},
		{"GET", "/system/df?type=bogus", "", 400, "bogus"},
	} {
		code, body := objAPI(t, s.sock, tc.method, tc.path, tc.body)
		var msg struct{ Message string }
		if code >= 400 && (json.Unmarshal([]byte(body), &msg) != nil || strings.Count(msg.Message, ": ") > 1) {
			t.Errorf("%s %s: the error is not one plain sentence in Docker's shape: %s", tc.method, tc.path, body)
		}
		if code != tc.code || !strings.Contains(msg.Message, tc.msg) {
			t.Errorf("%s %s %s: %d %s, want %d with %q", tc.method, tc.path, tc.body, code, body, tc.code, tc.msg)
		}
	}
	if out := s.ok("network", "ls", "--format", "{{.Name}}"); strings.Join(strings.Fields(out), " ") != "bridge host none usednet" {
		t.Errorf("networks after the refused requests: %q", out)
	}
	if out := s.ok("volume", "ls", "-q"); out != "usedvol\n" {
		t.Errorf("volumes after the refused requests: %q", out)
	}
}
