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

// TestServePyPullAllTags: as dockerd, a pull without a tag (docker-py's
// images.pull(all_tags=True), docker pull -a) pulls every tag the registry
// lists, with a "Pulling from" header per tag and one status for the
// repository; a repository the registry does not know is a 404.
func TestServePyPullAllTags(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	host := startRegistry(t, "", "")
	for _, tag := range []string{"1", "2"} {
		s.ok("tag", "busybox", host+"/py/all:"+tag)
		s.ok("push", host+"/py/all:"+tag)
		s.ok("rmi", host+"/py/all:"+tag)
	}
	out, errOut, code := s.python(`
import docker
c = docker.from_env()
imgs = c.images.pull("` + host + `/py/all", all_tags=True)
print(sorted(t for i in imgs for t in i.tags if "/py/all" in t))
lines = list(c.api.pull("` + host + `/py/all", all_tags=True, stream=True, decode=True))
print(sorted(l["id"] for l in lines if l.get("status", "").startswith("Pulling from")), lines[-1]["status"])
try:
    c.images.pull("` + host + `/py/none", all_tags=True)
except docker.errors.NotFound as e:
    print("404")
`)
	want := "['" + host + "/py/all:1', '" + host + "/py/all:2']\n['1', '2'] Status: Image is up to date for " + host + "/py/all\n404\n"
	if code != 0 || out != want {
		t.Errorf("docker-py pull all tags: exit %d\n%s\nwant\n%s\nstderr: %s", code, out, want, errOut)
	}
	s.ok("rmi", host+"/py/all:1", host+"/py/all:2")
	if got := s.dockerOK("pull", "-q", "-a", host+"/py/all"); strings.TrimSpace(got) != host+"/py/all" {
		t.Errorf("docker pull -a -q: %q", got)
	}
	if got := s.dockerOK("images", "--format", "{{.Tag}}", host+"/py/all"); got != "2\n1\n" && got != "1\n2\n" {
		t.Errorf("tags after docker pull -a: %q", got)
	}
}
