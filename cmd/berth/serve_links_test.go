package main

import (
	"strings"
	"testing"
)

// TestServeLinksAndFailedRunRm: through the docker CLI, --link names another
// container by an alias (docker-compose run links its one-off containers so),
// a link to no container is a plain 400 (not read as a missing image), and
// `docker run --rm` whose start fails returns at once with the error, the
// container removed (the CLI waits for the removal, as dockerd does it).
func TestServeLinksAndFailedRunRm(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("run", "-d", "--name", "web", "busybox", "sh", "-c", "echo linked >/tmp/i && httpd -f -p 80 -h /tmp")
	fetch := "for i in $(seq 100); do wget -qO- http://db/i && exit; sleep 0.1; done; exit 1"
	if out := s.dockerOK("run", "--rm", "--link", "web:db", "busybox", "sh", "-c", fetch); out != "linked\n" {
		t.Errorf("wget through the link printed %q", out)
	}
	s.dockerFails("cannot link to nosuch: no such container", "run", "--rm", "--link", "nosuch:db", "busybox", "true")
	s.dockerOK("run", "-d", "--name", "ended", "busybox", "true")
	s.dockerOK("wait", "ended")
	s.dockerFails("cannot link to a non-running container: ended as db", "run", "--rm", "--link", "ended:db", "busybox", "true")
	if out := s.dockerOK("ps", "-a", "--format", "{{.Names}}"); strings.Join(strings.Fields(out), " ") != "ended web" {
		t.Errorf("containers after the failed runs: %q, want only ended and web", out)
	}
	s.dockerOK("rm", "-f", "web", "ended")
}
