package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/monitor"
	"berth/netmgr"
)

// memberNames are the names of the containers network ref lists (inspect).
func memberNames(t *testing.T, e *engine.Engine, ref string) []string {
	t.Helper()
	_, members, err := e.InspectNetwork(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range members {
		c, err := e.Inspect(context.Background(), m.ContainerID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c.Name[1:])
	}
	return out
}

func inspectIP(t *testing.T, e *engine.Engine, ref, network string) string {
	t.Helper()
	c, err := e.Inspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	s := c.NetworkSettings.Networks[network]
	if s == nil {
		t.Fatalf("%s is not on network %s", ref, network)
	}
	return s.IPAddress
}

// TestStopReleasesEndpoint: as dockerd 20.10 does, a stopped container holds
// no endpoint: inspect shows no address (the network stays), network inspect
// leaves it out, its name no longer resolves, the address goes to the next
// container, and the next start gives it the lowest free address, connected
// and resolvable again. Stop and start record disconnect and connect.
func TestStopReleasesEndpoint(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	n := mustNet(t, e, netmgr.CreateOptions{Name: "stopnet"})
	a := startNamed(t, e, onNet("stopnet", "stopa", "sleep", "1000"))
	startNamed(t, e, onNet("stopnet", "stopb", "sleep", "1000"))
	ipA := inspectIP(t, e, "stopa", "stopnet")
	begin := time.Now()
	if err := e.Stop(ctx, "stopa", engine.StopOptions{Timeout: new(time.Duration)}); err != nil {
		t.Fatal(err)
	}
	in, err := e.Inspect(ctx, "stopa")
	if err != nil {
		t.Fatal(err)
	}
	s := in.NetworkSettings.Networks["stopnet"]
	if s == nil || s.NetworkID != n.ID || s.IPAddress != "" || s.EndpointID != "" || s.Gateway != "" || s.MacAddress != "" || s.IPPrefixLen != 0 || s.IPAMConfig != nil {
		t.Errorf("stopped container's endpoint settings: %+v, want only the network ID %s", s, n.ID)
	}
	if got := memberNames(t, e, "stopnet"); strings.Join(got, ",") != "stopb" {
		t.Errorf("network inspect lists %v after the stop, want [stopb]", got)
	}
	if eps, err := e.Networks().Endpoints(ctx, a.ID); err != nil || len(eps) != 0 {
		t.Errorf("stopped container's leases: %v %v, want none", eps, err)
	}
	if out, code := execOut(t, e, "stopb", "nslookup", "stopa"); code == 0 {
		t.Errorf("stopa still resolves once stopped: %q", out)
	}
	startNamed(t, e, onNet("stopnet", "stopc", "sleep", "1000"))
	if got := inspectIP(t, e, "stopc", "stopnet"); got != ipA {
		t.Errorf("the next container got %s, want the freed %s", got, ipA)
	}
	if err := e.Start(ctx, "stopa", engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	ipA2 := inspectIP(t, e, "stopa", "stopnet")
	if ipA2 == "" || ipA2 == ipA || ipA2 == inspectIP(t, e, "stopb", "stopnet") {
		t.Errorf("restarted container got %q (it had %s)", ipA2, ipA)
	}
	if out, code := execOut(t, e, "stopb", "nslookup", "stopa"); code != 0 || !strings.Contains(out, ipA2) {
		t.Errorf("nslookup stopa after the restart: exit %d %q, want %s", code, out, ipA2)
	}
	want := []string{"connect stopnet " + n.ID, "disconnect stopnet " + n.ID, "connect stopnet " + n.ID}
	got := networkEvents(t, e, begin.Add(-time.Minute), a.ID)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("network events of stopa:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestStopReleasesDefaultBridgeEndpoint: the same on the default bridge,
// with the top-level address fields and published ports.
func TestStopReleasesDefaultBridgeEndpoint(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	o := opts("sleep", "1000")
	o.Name = "brstop"
	o.HostConfig.PortBindings = engine.PortMap{"80/tcp": {{HostIP: "127.0.0.1"}}}
	c := startNamed(t, e, o)
	if err := e.Stop(ctx, c.ID, engine.StopOptions{Timeout: new(time.Duration)}); err != nil {
		t.Fatal(err)
	}
	in, err := e.Inspect(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s := in.NetworkSettings.Networks["bridge"]; s == nil || s.IPAddress != "" || s.EndpointID != "" || s.NetworkID == "" {
		t.Errorf("stopped container's bridge settings: %+v", s)
	}
	if len(in.NetworkSettings.Ports) != 0 {
		t.Errorf("stopped container's ports: %v, want none", in.NetworkSettings.Ports)
	}
	if got := memberNames(t, e, "bridge"); len(got) != 0 {
		t.Errorf("bridge lists %v after the stop", got)
	}
	if owners, err := e.Networks().PortOwners(ctx); err != nil || len(owners) != 0 {
		t.Errorf("published ports after the stop: %v %v", owners, err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if ip := inspectIP(t, e, c.ID, "bridge"); ip == "" {
		t.Error("restarted container has no address on the bridge")
	}
}

// TestStaticAddressAcrossStop: an --ip container asks for its address again
// at each start. As with dockerd 20.10, the address is not kept for it
// while it is stopped: another container may take it, and the start then
// fails until the address is free again.
func TestStaticAddressAcrossStop(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	n := mustNet(t, e, netmgr.CreateOptions{Name: "staticnet"})
	static := n.Subnet.Addr().Next().Next().String() // the first after the gateway
	o := onNet("staticnet", "fixed", "sleep", "1000")
	o.Network.IPAddress = static
	startNamed(t, e, o)
	if err := e.Stop(ctx, "fixed", engine.StopOptions{Timeout: new(time.Duration)}); err != nil {
		t.Fatal(err)
	}
	in, err := e.Inspect(ctx, "fixed")
	if err != nil {
		t.Fatal(err)
	}
	if s := in.NetworkSettings.Networks["staticnet"]; s == nil || s.IPAMConfig == nil || s.IPAMConfig.IPv4Address != static || s.IPAddress != "" {
		t.Errorf("stopped --ip container's settings: %+v, want IPAMConfig %s and no address", s, static)
	}
	taker := startNamed(t, e, onNet("staticnet", "taker", "sleep", "1000"))
	if got := inspectIP(t, e, "taker", "staticnet"); got != static {
		t.Fatalf("a container without --ip got %s, want the free %s (dockerd does not keep it)", got, static)
	}
	err = e.Start(ctx, "fixed", engine.StartOptions{})
	if !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("start with its address taken: %v, want a conflict", err)
	}
	if err := e.Remove(ctx, taker.ID, engine.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, "fixed", engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := inspectIP(t, e, "fixed", "staticnet"); got != static {
		t.Errorf("restarted --ip container got %s, want %s", got, static)
	}
	if err := e.Restart(ctx, "fixed", engine.StopOptions{Timeout: new(time.Duration)}); err != nil {
		t.Fatal(err)
	}
	if got := inspectIP(t, e, "fixed", "staticnet"); got != static {
		t.Errorf("--ip container after restart got %s, want %s", got, static)
	}
}

// TestExitedAloneReleased: a container that exits on its own, with no berth
// call to stop it, holds its lease until a berth process looks, but shows
// none meanwhile: a start on its network takes its address back, and an
// engine that opens on the root frees it.
func TestExitedAloneReleased(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	e := openEngine(t, root, true)
	mustNet(t, e, netmgr.CreateOptions{Name: "alonenet"})
	first := startNamed(t, e, onNet("alonenet", "alone1", "sh", "-c", untilGo))
	ip1 := first.NetworkSettings.Networks["alonenet"].IPAddress
	endAlone(t, e, first.ID)
	if got := memberNames(t, e, "alonenet"); len(got) != 0 {
		t.Errorf("network inspect lists %v after the exit", got)
	}
	if ip := inspectIP(t, e, first.ID, "alonenet"); ip != "" {
		t.Errorf("exited container shows address %s", ip)
	}
	// The next container on the network gets the address back.
	startNamed(t, e, onNet("alonenet", "alone2", "sleep", "1000"))
	if got := inspectIP(t, e, "alone2", "alonenet"); got != ip1 {
		t.Errorf("the next container got %s, want the exited one's %s", got, ip1)
	}
	// Another one exits; an engine that opens releases it.
	third := startNamed(t, e, onNet("alonenet", "alone3", "sh", "-c", untilGo))
	endAlone(t, e, third.ID)
	if eps, _ := e.Networks().Endpoints(ctx, third.ID); len(eps) == 0 {
		t.Fatal("the exited container's lease is gone before any berth process looked: the test proves nothing")
	}
	other := openEngine(t, root, false)
	if eps, err := other.Networks().Endpoints(ctx, third.ID); err != nil || len(eps) != 0 {
		t.Errorf("leases of the exited container after an engine opened: %v %v", eps, err)
	}
	if err := other.Start(ctx, third.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
}

// untilGo is a command that runs until the file /go appears.
const untilGo = "while [ ! -e /go ]; do sleep 0.05; done"

// endAlone has container id (running untilGo) exit on its own and waits
// until its monitor has recorded the end and gone (a bound against a hang
// only); nothing of berth releases its endpoints.
func endAlone(t *testing.T, e *engine.Engine, id string) {
	t.Helper()
	if out, code := execOut(t, e, id, "touch", "/go"); code != 0 {
		t.Fatalf("touch /go: %d %s", code, out)
	}
	statePath := filepath.Join(e.Root(), "containers", id, "state.json")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		st, err := monitor.ReadState(statePath)
		if err == nil && st.Status == monitor.StatusExited && !st.Alive() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s does not end: %v", id, err)
		}
	}
}

// TestKillReleasesEndpoint: a container killed with SIGKILL holds no lease
// once kill returns (docker kill; docker network inspect shows it gone).
func TestKillReleasesEndpoint(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	mustNet(t, e, netmgr.CreateOptions{Name: "killnet"})
	c := startNamed(t, e, onNet("killnet", "killed", "sleep", "1000"))
	if err := e.Kill(ctx, c.ID, "KILL"); err != nil {
		t.Fatal(err)
	}
	if eps, err := e.Networks().Endpoints(ctx, c.ID); err != nil || len(eps) != 0 {
		t.Errorf("killed container's leases: %v %v, want none", eps, err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := memberNames(t, e, "killnet"); strings.Join(got, ",") != "killed" {
		t.Errorf("network inspect after the restart: %v", got)
	}
}

// TestWaitReleasesEndpoint: a waiter (docker run, docker wait) that sees a
// container end releases its endpoints at once.
func TestWaitReleasesEndpoint(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	mustNet(t, e, netmgr.CreateOptions{Name: "waitnet"})
	c := startNamed(t, e, onNet("waitnet", "waited", "sh", "-c", untilGo))
	done := make(chan error, 1)
	go func() { _, err := e.Wait(ctx, c.ID); done <- err }()
	if out, code := execOut(t, e, c.ID, "touch", "/go"); code != 0 {
		t.Fatalf("touch /go: %d %s", code, out)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if eps, err := e.Networks().Endpoints(ctx, c.ID); err != nil || len(eps) != 0 {
		t.Errorf("leases once the wait returned: %v %v, want none", eps, err)
	}
}

// TestConnectStoppedRecordsAtStart: as dockerd 20.10, connecting a container
// that does not run records no event (and shows no address, only the asked
// one); its start records the connect, once.
func TestConnectStoppedRecordsAtStart(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	n := mustNet(t, e, netmgr.CreateOptions{Name: "laternet"})
	begin := time.Now()
	o := opts("sleep", "1000")
	o.Name = "later"
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	static := n.Subnet.Addr().Next().Next().Next().String()
	if err := e.Connect(ctx, "laternet", c.ID, engine.EndpointSettings{IPAddress: static}); err != nil {
		t.Fatal(err)
	}
	in, err := e.Inspect(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s := in.NetworkSettings.Networks["laternet"]; s == nil || s.IPAddress != "" || s.IPAMConfig == nil || s.IPAMConfig.IPv4Address != static {
		t.Errorf("connected created container's settings: %+v, want no address and IPAMConfig %s", s, static)
	}
	if got := networkEvents(t, e, begin, c.ID); len(got) != 0 {
		t.Errorf("events before the start: %v, want none", got)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := inspectIP(t, e, c.ID, "laternet"); got != static {
		t.Errorf("started with %s, want %s", got, static)
	}
	var got []string
	for _, ev := range networkEvents(t, e, begin, c.ID) {
		if strings.Contains(ev, "laternet") {
			got = append(got, ev)
		}
	}
	if want := "connect laternet " + n.ID; strings.Join(got, "|") != want {
		t.Errorf("events of laternet: %v, want [%s]", got, want)
	}
}
