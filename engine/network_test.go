package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"

	"berth/engine"
	"berth/engine/logfile"
	"berth/netmgr"
)

func onNet(network, name string, cmd ...string) engine.CreateOptions {
	o := opts(cmd...)
	o.Name, o.HostConfig.NetworkMode = name, network
	return o
}

func mustNet(t *testing.T, e *engine.Engine, o netmgr.CreateOptions) *netmgr.Network {
	t.Helper()
	n, err := e.Networks().Create(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // containers first, then the network
		members, _ := e.Networks().Members(context.Background(), n.ID)
		for _, m := range members {
			e.Remove(context.Background(), m.ContainerID, engine.RemoveOptions{Force: true})
		}
		if err := e.Networks().Remove(context.Background(), n.ID); err != nil && !errdefs.IsNotFound(err) {
			t.Errorf("network rm %s: %v", n.Name, err)
		}
		if _, err := netlink.LinkByName(n.Bridge); err == nil {
			t.Errorf("bridge %s left after network rm", n.Bridge)
		}
	})
	return n
}

func startNamed(t *testing.T, e *engine.Engine, o engine.CreateOptions) *engine.Container {
	t.Helper()
	ctx := context.Background()
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatalf("create %s: %v", o.Name, err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatalf("start %s: %v", o.Name, err)
	}
	c, err = e.Inspect(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUserNetworkNamesAndIsolation(t *testing.T) {
	e := newEngine(t)
	app := mustNet(t, e, netmgr.CreateOptions{Name: "apptest"})
	other := mustNet(t, e, netmgr.CreateOptions{Name: "othertest"})
	api := startNamed(t, e, onNet("apptest", "api", "httpd", "-f", "-p", "80", "-h", "/etc"))
	if ip := api.NetworkSettings.Networks["apptest"].IPAddress; !app.Subnet.Contains(mustAddr(t, ip)) {
		t.Fatalf("api IP %s not in %s", ip, app.Subnet)
	}
	// httpd may still be starting on a loaded machine: a bounded retry.
	out, _, code := runAttached(t, e, onNet("apptest", "client", "sh", "-c",
		"ping -c1 -W2 api >/dev/null || exit 1; for i in $(seq 50); do wget -qO- http://api/hostname 2>/dev/null && exit 0; sleep 0.1; done; exit 1"))
	if code != 0 || out != api.Config.Hostname+"\n" {
		t.Errorf("by name on the same network: exit %d, %q", code, out)
	}
	// A container joining later is found by name too.
	startNamed(t, e, onNet("apptest", "late", "sleep", "100"))
	if out, _, code := runAttached(t, e, onNet("apptest", "client2", "ping", "-c1", "-W2", "late")); code != 0 {
		t.Errorf("late joiner not reachable by name: %q", out)
	}
	apiIP := api.NetworkSettings.Networks["apptest"].IPAddress
	if out, _, code := runAttached(t, e, onNet("othertest", "outsider", "ping", "-c1", "-W1", apiIP)); code == 0 {
		t.Errorf("a container on %s reached %s on %s: %q", other.Name, apiIP, app.Name, out)
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("address %q: %v", s, err)
	}
	return a
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

var logReadAll = logfile.ReadOptions{Tail: -1}

func TestInternalNetworkHasNoWayOut(t *testing.T) {
	e := newEngine(t)
	mustNet(t, e, netmgr.CreateOptions{Name: "sealed", Internal: true})
	open := mustNet(t, e, netmgr.CreateOptions{Name: "opennet"})
	out, _, code := runAttached(t, e, onNet("sealed", "", "ping", "-c1", "-W1", open.Gateway.String()))
	if code == 0 {
		t.Errorf("internal network reached another bridge's gateway: %q", out)
	}
}

func TestPublishedPorts(t *testing.T) {
	e := newEngine(t)
	hp := freePort(t, "tcp")
	o := opts("sh", "-c", "mkdir -p /www && echo served > /www/index.html && httpd -f -p 80 -h /www")
	o.Name = "web"
	o.HostConfig.PortBindings = engine.PortMap{"80/tcp": {{HostPort: hp}}}
	c := startNamed(t, e, o)
	body := httpGet(t, "http://127.0.0.1:"+hp+"/")
	if body != "served\n" {
		t.Errorf("through 127.0.0.1: %q", body)
	}
	gw := c.NetworkSettings.Networks["bridge"].Gateway
	if body := httpGet(t, "http://"+net.JoinHostPort(gw, hp)+"/"); body != "served\n" {
		t.Errorf("through the bridge's host address %s: %q", gw, body)
	}
	if got := c.NetworkSettings.Ports["80/tcp"]; len(got) != 1 || got[0].HostPort != hp {
		t.Errorf("inspect ports: %+v", c.NetworkSettings.Ports)
	}
	// The port is taken now: as with dockerd, a second container asking for
	// it is created, and its start fails.
	o2 := opts("true")
	o2.HostConfig.PortBindings = engine.PortMap{"80/tcp": {{HostPort: hp}}}
	c2, err := e.Create(context.Background(), o2)
	if err != nil {
		t.Fatalf("create of a second container publishing %s: %v", hp, err)
	}
	id := c2.ID
	if err := e.Start(context.Background(), id, engine.StartOptions{}); !errdefs.IsConflict(err) || !strings.Contains(err.Error(), ":"+hp+" failed: port is already allocated") && !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("second publish of %s: %v", hp, err)
	}
	if err := e.Remove(context.Background(), id, engine.RemoveOptions{}); err != nil {
		t.Errorf("remove the container that did not start: %v", err)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	return httpGetWith(t, nil, url)
}

// httpGetWith is httpGet through rt (nil: the default transport), retrying
// while the server is not up yet.
func httpGetWith(t *testing.T, rt http.RoundTripper, url string) string {
	t.Helper()
	cl := http.Client{Timeout: 5 * time.Second, Transport: rt}
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

// udpEchoImage imports an image holding only a static UDP echo server
// (testdata/udpecho), since busybox's nc has no UDP mode.
func udpEchoImage(t *testing.T, e *engine.Engine) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "udpecho")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/udpecho")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build udpecho: %v %s", err, out)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	b, _ := os.ReadFile(bin)
	tw.WriteHeader(&tar.Header{Name: "udpecho", Mode: 0o755, Size: int64(len(b)), Typeflag: tar.TypeReg})
	tw.Write(b)
	tw.Close()
	if _, err := e.Images().Import(context.Background(), &buf, "udpecho:test", `CMD ["/udpecho"]`); err != nil {
		t.Fatal(err)
	}
}

func TestUDPPublish(t *testing.T) {
	e := newEngine(t)
	udpEchoImage(t, e)
	o := engine.CreateOptions{Name: "udp", Config: engine.Config{Image: "udpecho:test", Cmd: []string{"/udpecho", ":5353"}}}
	hp := freePort(t, "udp")
	o.HostConfig.PortBindings = engine.PortMap{"5353/udp": {{HostPort: hp}}}
	startNamed(t, e, o)
	c, err := net.Dial("udp", "127.0.0.1:"+hp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	for i := 0; i < 50; i++ {
		c.Write([]byte("ping-udp"))
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, err := c.Read(buf); err == nil {
			if string(buf[:n]) != "echo:ping-udp" {
				t.Errorf("reply %q", buf[:n])
			}
			return
		}
	}
	t.Errorf("no UDP reply through 127.0.0.1:%s; logs %q", hp, readLogsQuiet(e, "udp"))
}

func readLogsQuiet(e *engine.Engine, ref string) string {
	ents, errs, err := e.Logs(context.Background(), ref, logReadAll)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for ent := range ents {
		b.Write(ent.Line)
	}
	for range errs {
	}
	return b.String()
}

func TestIPAMUnderConcurrentRuns(t *testing.T) {
	e := newEngine(t)
	mustNet(t, e, netmgr.CreateOptions{Name: "crowd"})
	const n = 50
	var wg sync.WaitGroup
	ips := make([]string, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			c, err := e.Create(ctx, onNet("crowd", fmt.Sprintf("c%02d", i), "sleep", "100"))
			if err == nil {
				err = e.Start(ctx, c.ID, engine.StartOptions{})
			}
			if err == nil {
				c, err = e.Inspect(ctx, c.ID)
			}
			if err == nil {
				ips[i] = c.NetworkSettings.Networks["crowd"].IPAddress
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range ips {
		if errs[i] != nil {
			t.Fatalf("container %d: %v", i, errs[i])
		}
		if seen[ips[i]] {
			t.Errorf("address %s handed out twice", ips[i])
		}
		seen[ips[i]] = true
	}
}

func TestNetworkModesHostNoneContainer(t *testing.T) {
	e := newEngine(t)
	out, _, _ := runAttached(t, e, onNet("none", "", "sh", "-c", "ls /sys/class/net | tr '\\n' ' '"))
	if out != "lo " {
		t.Errorf("none: interfaces %q", out)
	}
	// --network host: the host's own interfaces (other tests add and remove
	// veths meanwhile, so compare one that stays: the default route's).
	hostIf := defaultRouteLink(t)
	out, _, _ = runAttached(t, e, onNet("host", "", "sh", "-c", "ls /sys/class/net"))
	if !strings.Contains(out, hostIf+"\n") {
		t.Errorf("host: container sees %q, not the host's %s", out, hostIf)
	}
	web := startNamed(t, e, onNet("bridge", "shared", "sleep", "100"))
	out, _, _ = runAttached(t, e, onNet("container:shared", "", "sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'"))
	ip := web.NetworkSettings.Networks["bridge"].IPAddress
	if !strings.HasPrefix(out, ip+"/") {
		t.Errorf("container:shared sees %q, want %s", out, ip)
	}
}

func TestNetworkBadInput(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	a := mustNet(t, e, netmgr.CreateOptions{Name: "first"})
	for _, o := range []netmgr.CreateOptions{
		{Name: "overlap", Subnet: a.Subnet},
		{Name: "gwout", Subnet: mustPrefix("10.123.7.0/24"), Gateway: mustAddr(t, "10.99.0.1")},
		{Name: "first"},
		{Name: "bad/name"},
	} {
		if _, err := e.Networks().Create(ctx, o); err == nil {
			t.Errorf("network %+v was created", o)
		}
	}
	if _, err := e.Create(ctx, onNet("nosuchnet", "", "true")); !errdefs.IsInvalidArgument(err) {
		t.Errorf("unknown network: %v, want a bad parameter (a not found would be taken for the image's)", err)
	}
	c := startNamed(t, e, onNet("first", "member", "sleep", "100"))
	if err := e.Networks().Remove(ctx, "first"); !errdefs.IsConflict(err) {
		t.Errorf("rm of a network in use: %v", err)
	}
	if err := e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.Networks().Remove(ctx, "first"); err != nil {
		t.Errorf("rm after its container went: %v", err)
	}
}

// defaultRouteLink names the host interface of the default route (or lo).
func defaultRouteLink(t *testing.T) string {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
				return l.Attrs().Name
			}
		}
	}
	return "lo"
}
