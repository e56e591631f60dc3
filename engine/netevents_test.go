package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"berth/engine"
	"berth/engine/events"
	"berth/netmgr"
)

// TestNetworkEventsAroundARun: as dockerd, a container reports joining its
// networks when it starts and leaving them when it exits — for the default
// bridge too — and a network connected while it runs is left at its exit.
func TestNetworkEventsAroundARun(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	n := mustNet(t, e, netmgr.CreateOptions{Name: "evnet"})
	start := time.Now()
	c := startDetached(t, e, "evrun", engine.CreateOptions{Config: engine.Config{Image: "busybox", Cmd: []string{"sh", "-c", "read x"}, OpenStdin: true}})
	if err := e.Connect(ctx, "evnet", c.ID, engine.EndpointSettings{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Kill(ctx, c.ID, "KILL"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	in, err := e.Inspect(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	bridge := in.NetworkSettings.Networks["bridge"].NetworkID
	// The monitor appends "disconnect" just after "die": follow until both
	// are there (a bound against a hang only).
	want := []string{"connect bridge " + bridge, "connect evnet " + n.ID, "disconnect bridge " + bridge, "disconnect evnet " + n.ID}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := networkEvents(t, e, start, c.ID)
		if strings.Join(got, "|") == strings.Join(want, "|") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("network events of the run:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// networkEvents are the network events about container id since start, as
// "ACTION NETWORK-NAME NETWORK-ID".
func networkEvents(t *testing.T, e *engine.Engine, start time.Time, id string) []string {
	t.Helper()
	ch, errc := e.Subscribe(context.Background(), events.Filter{Since: start, Until: time.Now(), Types: []string{"network"}})
	var out []string
	for ev := range ch {
		if ev.Attributes["container"] == id {
			out = append(out, ev.Action+" "+ev.Attributes["name"]+" "+ev.ID)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return out
}
