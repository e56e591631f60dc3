package main

import (
	"strings"
	"testing"
	"time"
)

// TestServeReleasesEndedContainers: with berth serve running, a container
// that exits on its own leaves its network at once: its name no longer
// resolves for the containers still on the network, and its address is
// free, without any client asking about it (the serve process watches for
// ends). The wait is bounded, never a speed figure.
func TestServeReleasesEndedContainers(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("network", "create", "endnet")
	s.dockerOK("run", "-d", "--name", "stayer", "--network", "endnet", "busybox", "sleep", "60")
	s.dockerOK("run", "-d", "--name", "leaver", "--network", "endnet", "busybox", "sh", "-c", "sleep 1")
	if out, _, code := s.docker("", "exec", "stayer", "nslookup", "leaver"); code != 0 {
		t.Fatalf("leaver does not resolve while it runs: %q", out)
	}
	gone := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, _, code := s.docker("", "exec", "stayer", "nslookup", "leaver"); code != 0 {
			gone = true
			break
		}
	}
	if !gone {
		t.Fatal("leaver still resolves 20 s after it exited")
	}
	if out := s.dockerOK("inspect", "-f", "{{.State.Status}} [{{.NetworkSettings.Networks.endnet.IPAddress}}]", "leaver"); out != "exited []\n" {
		t.Errorf("leaver after its end: %q", out)
	}
	if out := s.dockerOK("network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "endnet"); strings.TrimSpace(out) != "stayer" {
		t.Errorf("endnet's members: %q", out)
	}
	s.dockerOK("rm", "-f", "stayer", "leaver")
	s.dockerOK("network", "rm", "endnet")
}
