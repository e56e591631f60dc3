package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestHostNetworkTakesTheHostsNameAndDropsPorts: a container on the host's
// network is named as the host (hostname and /etc/hostname), and ports
// published for it, or for one with no network, are discarded rather than
// refused, with dockerd's warning for the host's network.
func TestHostNetworkTakesTheHostsNameAndDropsPorts(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := s.docker("", "run", "--rm", "--network", "host", "-p", "8080:80", "busybox", "sh", "-c", "hostname; cat /etc/hostname")
	if out != host+"\n"+host+"\n" || code != 0 || !strings.Contains(errOut, "Published ports are discarded when using host network mode") {
		t.Errorf("docker run --network host -p: %q %q exit %d, want the host's name %q twice and a warning", out, errOut, code, host)
	}
	if out, errOut, code := s.run("", "run", "--rm", "--network", "none", "-p", "8080:80", "busybox", "true"); code != 0 {
		t.Errorf("berth run --network none -p: %q %q exit %d", out, errOut, code)
	}
	if out := s.ok("run", "--rm", "--network", "host", "--hostname", "mine", "busybox", "hostname"); out != "mine\n" {
		t.Errorf("--network host --hostname mine: %q", out)
	}
	// --domainname sets the UTS namespace's domain name and the fully
	// qualified name in /etc/hosts; kept when no hostname is given.
	out, errOut, code = s.docker("", "run", "--rm", "--hostname", "myhost", "--domainname", "example.com", "busybox", "sh", "-c",
		"cat /proc/sys/kernel/domainname; grep -c 'myhost.example.com myhost' /etc/hosts")
	if out != "example.com\n1\n" || code != 0 {
		t.Errorf("docker run --domainname: %q %q exit %d", out, errOut, code)
	}
	s.dockerOK("create", "--name", "dom", "--domainname", "dom.test", "busybox", "true")
	if got := s.dockerOK("inspect", "-f", "{{.Config.Domainname}}", "dom"); got != "dom.test\n" {
		t.Errorf("a container created with a domain name and no hostname keeps %q", got)
	}
}

// TestServeListSinceBefore: GET /containers/json takes the old since= and
// before= parameters (docker-py's containers.list(since=...)) as the
// filters of the same names.
func TestServeListSinceBefore(t *testing.T) {
	s := newServed(t)
	for _, n := range []string{"first", "second", "third"} {
		s.ok("create", "--name", n, "busybox", "true")
	}
	for _, tc := range []struct{ query, want string }{
		{"since=first", `["/third"] ["/second"]`},
		{"before=third", `["/second"] ["/first"]`},
		{"since=first&before=third", `["/second"]`},
	} {
		code, body := s.imgAPI("GET", "/containers/json?all=1&"+tc.query, "", nil)
		var got []struct{ Names []string }
		if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
			t.Fatalf("%s: %d %s", tc.query, code, body)
		}
		var names []string
		for _, c := range got {
			b, _ := json.Marshal(c.Names)
			names = append(names, string(b))
		}
		if strings.Join(names, " ") != tc.want {
			t.Errorf("%s: %v, want %s", tc.query, names, tc.want)
		}
	}
}

// TestPsShowsTheImageIDOnceTheTagMoves: ps names a container's image by the
// name it was created from while that name is still its image's, else by
// the image's short ID, as docker ps does; inspect keeps the name given.
func TestPsShowsTheImageIDOnceTheTagMoves(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.ok("tag", "busybox", "mine:v1")
	s.ok("create", "--name", "old", "mine:v1", "true")
	id := strings.TrimSpace(s.ok("image", "inspect", "-f", "{{.Id}}", "mine:v1"))
	s.ok("create", "--name", "base", "busybox", "true")
	s.ok("commit", "base", "newer")
	s.ok("tag", "newer", "mine:v1")
	short := strings.TrimPrefix(id, "sha256:")[:12]
	want := "base busybox\nold " + short + "\n"
	if out := s.ok("ps", "-a", "--format", "{{.Names}} {{.Image}}"); out != want {
		t.Errorf("berth ps after the tag moved: %q, want %q", out, want)
	}
	if out := s.dockerOK("ps", "-a", "--format", "{{.Names}} {{.Image}}"); out != want {
		t.Errorf("docker ps after the tag moved: %q, want %q", out, want)
	}
	if out := s.ok("inspect", "-f", "{{.Config.Image}}", "old"); out != "mine:v1\n" {
		t.Errorf("inspect's Config.Image: %q", out)
	}
}
