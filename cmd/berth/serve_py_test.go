package main

import (
	"strings"
	"testing"
)

// TestServePyStartMissingCommand: as dockerd, the start of a container
// whose command does not exist is a bad parameter (400) naming the command,
// through docker-py's containers.run(detach=True) and its low-level start;
// the docker CLI's run still exits 127 for it.
func TestServePyStartMissingCommand(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	out, errOut, code := s.python(`
import docker
c = docker.from_env()
try:
    c.containers.run("busybox", ["nope-cmd"], detach=True, name="py-nocmd")
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
ct = c.api.create_container("busybox", ["/no/such/file"])
try:
    c.api.start(ct["Id"])
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
c.api.remove_container(ct["Id"])
c.containers.get("py-nocmd").remove()
`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "400 ") || !strings.Contains(lines[0], `"nope-cmd"`) ||
		!strings.HasPrefix(lines[1], "400 ") || !strings.Contains(lines[1], "/no/such/file") {
		t.Errorf("docker-py start of a missing command: exit %d: %q %s", code, out, errOut)
	}
	if _, _, code := s.docker("", "run", "--rm", "busybox", "nope-cmd"); code != 127 {
		t.Errorf("docker run of a missing command: exit %d, want 127", code)
	}
}
