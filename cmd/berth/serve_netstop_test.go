package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeStopReleasesEndpoint replays, with the docker CLI against berth,
// what dockerd 20.10 showed for a container stopped on a user-defined
// network: inspect keeps the network with no address, endpoint, gateway or
// MAC; network inspect leaves it out; the next container takes its address;
// its start gives it the lowest free one; "network disconnect" is recorded
// between its die and stop, "network connect" before its start. System
// check finds nothing amiss with a stopped container that holds no lease.
func TestServeStopReleasesEndpoint(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("network", "create", "small")
	netID := strings.TrimSpace(s.dockerOK("network", "inspect", "-f", "{{.Id}}", "small"))
	ip := func(name string) string {
		return strings.TrimSpace(s.dockerOK("inspect", "-f", "{{.NetworkSettings.Networks.small.IPAddress}}", name))
	}
	id := strings.TrimSpace(s.dockerOK("run", "-d", "--name", "ca", "--network", "small", "busybox", "sleep", "1000"))
	s.dockerOK("run", "-d", "--name", "cb", "--network", "small", "busybox", "sleep", "1000")
	ipA, ipB := ip("ca"), ip("cb")
	now := time.Now()
	since := fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond())
	s.dockerOK("stop", "-t", "0", "ca")
	var ep map[string]any
	if err := json.Unmarshal([]byte(s.dockerOK("inspect", "-f", "{{json .NetworkSettings.Networks.small}}", "ca")), &ep); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"IPAddress", "EndpointID", "Gateway", "MacAddress"} {
		if ep[f] != "" {
			t.Errorf("stopped container's %s: %v, want empty (dockerd 20.10)", f, ep[f])
		}
	}
	if ep["NetworkID"] != netID || ep["IPAMConfig"] != nil || ep["IPPrefixLen"] != float64(0) {
		t.Errorf("stopped container's endpoint settings: %v", ep)
	}
	if got := s.dockerOK("network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "small"); got != "cb \n" {
		t.Errorf("network inspect after the stop lists %q, want only cb", got)
	}
	s.dockerOK("run", "-d", "--name", "cc", "--network", "small", "busybox", "sleep", "1000")
	if got := ip("cc"); got != ipA {
		t.Errorf("the next container got %s, want the freed %s", got, ipA)
	}
	s.dockerOK("start", "ca")
	if got := ip("ca"); got == ipA || got == ipB || got == "" {
		t.Errorf("ca restarted with %q (it had %s, cb has %s)", got, ipA, ipB)
	}
	until := strconv.FormatInt(time.Now().Unix()+1, 10)
	out := s.dockerOK("events", "--since", since, "--until", until, "--format",
		"{{.Type}}|{{.Action}}|{{.Actor.ID}}|{{.Actor.Attributes.container}}|{{.Actor.Attributes.name}}|{{.Actor.Attributes.type}}")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "|")
		switch {
		case len(f) != 6 || f[1] == "kill":
		case f[0] == "container" && f[2] == id:
			got = append(got, "container "+f[1]+" "+f[4])
		case f[0] == "network" && f[3] == id && f[2] == netID:
			got = append(got, "network "+f[1]+" "+f[4]+" "+f[5])
		}
	}
	want := []string{"container die ca", "network disconnect small bridge", "container stop ca",
		"network connect small bridge", "container start ca"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events of ca:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	s.dockerOK("stop", "-t", "0", "ca", "cb", "cc")
	s.wantClean()
	s.dockerOK("rm", "ca", "cb", "cc")
	s.dockerOK("network", "rm", "small")
}
