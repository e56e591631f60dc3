package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeCpKeepsOwners: docker cp into a container keeps the owners the
// archive gives its entries (dockerd does; the files are the host's), into a
// running and a stopped container alike; docker cp -a gives them to the
// container's user instead.
func TestServeCpKeepsOwners(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"a", "sub/b"} {
		p := filepath.Join(src, f)
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, 1234, 5678); err != nil {
			t.Fatal(err)
		}
	}
	owners := "stat -c %u:%g /tmp/src/a /tmp/src/sub/b"
	s.dockerOK("run", "-d", "--name", "cpown", "busybox", "sleep", "1000")
	s.dockerOK("run", "-d", "--name", "cpuser", "--user", "nobody", "busybox", "sleep", "1000")
	s.dockerOK("create", "--name", "cpstopped", "busybox", "sh", "-c", owners)
	defer s.docker("", "rm", "-f", "cpown", "cpuser", "cpstopped")

	s.dockerOK("cp", src, "cpown:/tmp/")
	if got := s.dockerOK("exec", "cpown", "sh", "-c", owners); got != "1234:5678\n1234:5678\n" {
		t.Errorf("owners after docker cp into a running container: %q, want the archive's 1234:5678", got)
	}
	s.dockerOK("cp", src, "cpstopped:/tmp/")
	if got := s.dockerOK("start", "-a", "cpstopped"); got != "1234:5678\n1234:5678\n" {
		t.Errorf("owners after docker cp into a stopped container: %q, want the archive's 1234:5678", got)
	}
	s.dockerOK("cp", "-a", src, "cpuser:/tmp/")
	if got := s.dockerOK("exec", "cpuser", "sh", "-c", owners); got != "65534:65534\n65534:65534\n" {
		t.Errorf("owners after docker cp -a into a container of user nobody: %q, want 65534:65534", got)
	}
	if got := s.dockerOK("exec", "-u", "nobody", "cpuser", "sh", "-c", "echo y >> /tmp/src/a && cat /tmp/src/a"); !strings.HasSuffix(got, "y\n") {
		t.Errorf("the container's user cannot write what docker cp -a gave it: %q", got)
	}
}

// TestServeCpTheRoot: docker cp to and from a container's root "/", running
// and stopped: a file and a directory go in at the top, and the root comes
// out whole into a new directory, with /proc and /sys as empty directories
// (the stat of a running container's root said it was a symbolic link).
func TestServeCpTheRoot(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "d", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"f", "d/sub/g"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.dockerOK("run", "-d", "--name", "cproot", "busybox", "sleep", "1000")
	defer s.docker("", "rm", "-f", "cproot")
	// A directory's contents (path/.) into a directory that does not exist
	// yet: it is made and holds them (its entries are ./a, ./sub/b).
	s.dockerOK("exec", "cproot", "sh", "-c", "mkdir -p /x/sub; echo a > /x/a; echo b > /x/sub/b")
	s.dockerOK("cp", "cproot:/x/.", filepath.Join(dir, "viadocker"))
	s.ok("cp", "cproot:/x/.", filepath.Join(dir, "viaberth"))
	for _, d := range []string{"viadocker", "viaberth"} {
		for _, f := range []string{"a", "sub/b"} {
			if _, err := os.Stat(filepath.Join(dir, d, f)); err != nil {
				t.Errorf("cp cproot:/x/. %s: no %s: %v", d, f, err)
			}
		}
	}
	for _, state := range []string{"running", "stopped"} {
		s.dockerOK("cp", filepath.Join(dir, "f"), "cproot:/")
		s.dockerOK("cp", filepath.Join(dir, "d"), "cproot:/")
		out := filepath.Join(dir, "out-"+state)
		s.dockerOK("cp", "cproot:/", out)
		for _, f := range []string{"f", "d/sub/g", "bin/busybox", "etc/hostname"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("%s: docker cp cproot:/ %s has no %s: %v", state, out, f, err)
			}
		}
		if ents, err := os.ReadDir(filepath.Join(out, "proc")); err != nil || len(ents) != 0 {
			t.Errorf("%s: /proc copied out as %d entries (%v), want an empty directory", state, len(ents), err)
		}
		s.dockerOK("stop", "-t", "0", "cproot")
	}
}

// TestServeImagePruneFilters: docker image prune and docker system prune
// take --filter until= and label= (cron cleanups use them) and remove only
// the unused images the filters pick.
func TestServeImagePruneFilters(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("create", "--name", "pruneimg", "busybox", "true")
	s.dockerOK("commit", "--change", "LABEL sweep=old", "pruneimg", "sweep:old")
	s.dockerOK("commit", "--change", "LABEL sweep=new", "pruneimg", "sweep:new")
	s.dockerOK("rm", "pruneimg")
	tags := func() string {
		return s.dockerOK("images", "--format", "{{.Repository}}:{{.Tag}}", "sweep")
	}
	s.dockerOK("image", "prune", "-a", "-f", "--filter", "until=2000-01-01T00:00:00Z")
	if got := tags(); got != "sweep:new\nsweep:old\n" && got != "sweep:old\nsweep:new\n" {
		t.Fatalf("images after a prune until 2000: %q, want both kept", got)
	}
	out := s.dockerOK("image", "prune", "-a", "-f", "--filter", "label=sweep=old")
	if !strings.Contains(out, "untagged: sweep:old") || strings.Contains(out, "sweep:new") {
		t.Errorf("docker image prune --filter label=sweep=old printed %q", out)
	}
	if got := tags(); got != "sweep:new\n" {
		t.Errorf("images after the label prune: %q, want sweep:new alone", got)
	}
	s.dockerOK("system", "prune", "-a", "-f", "--filter", "until=0s", "--filter", "label=sweep")
	if got := tags(); got != "" {
		t.Errorf("images after system prune --filter until=0s --filter label=sweep: %q, want none", got)
	}
	if _, errOut, code := s.docker("", "image", "prune", "-f", "--filter", "reference=x"); code == 0 || !strings.Contains(errOut, "reference") {
		t.Errorf("image prune with a filter it does not take: exit %d: %s", code, errOut)
	}

	s.env = append(s.env, "DOCKER_BUILDKIT=0")
	if _, errOut, code := s.docker("FROM busybox\nRUN echo x > /x\n", "build", "-q", "-"); code != 0 {
		t.Fatalf("docker build: exit %d: %s", code, errOut)
	}
	for _, f := range []string{"until=2000-01-01T00:00:00Z", "label=sweep"} {
		if out := s.dockerOK("builder", "prune", "-a", "-f", "--filter", f); strings.Contains(out, "Deleted") {
			t.Errorf("docker builder prune --filter %s removed cache made now: %q", f, out)
		}
	}
	if out := s.dockerOK("builder", "prune", "-a", "-f", "--filter", "until=0s"); !strings.Contains(out, "Deleted build cache objects") {
		t.Errorf("docker builder prune --filter until=0s removed nothing: %q", out)
	}
}

// TestServeRunMissingDependency: docker run and docker-py's containers.run
// naming a network or container that does not exist fail with that name,
// and do not take the error for a missing image (they pull on any 404 from
// a create: berth must not answer one when the image is there).
func TestServeRunMissingDependency(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--network", "nosuchnet"}, "nosuchnet"},
		{[]string{"--volumes-from", "nosuchctr"}, "nosuchctr"},
		{[]string{"--network", "container:nosuchctr"}, "nosuchctr"},
	} {
		args := append(append([]string{"run", "--rm"}, tc.args...), "busybox", "true")
		_, errOut, code := s.docker("", args...)
		if code == 0 || strings.Contains(errOut, "Unable to find image") || strings.Contains(errOut, "pull") ||
			!strings.Contains(errOut, tc.want) {
			t.Errorf("docker %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
	}
	out, errOut, code := s.python(`
import docker
c = docker.from_env()
try:
    c.containers.run("busybox", "true", network="nosuchnet", remove=True)
except docker.errors.ImageNotFound as e:
    print("image not found:", e)
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
`)
	if code != 0 || !strings.HasPrefix(out, "400 ") || !strings.Contains(out, "nosuchnet") {
		t.Errorf("docker-py containers.run on a missing network: %q %s", out, errOut)
	}
	if got := s.dockerOK("ps", "-aq"); got != "" {
		t.Errorf("containers left by the failed runs: %q", got)
	}
}

// TestServeRunRmFailedStartQuiet: docker run --rm whose start fails prints
// the start's error alone, as with dockerd: the attach the CLI opened first
// ends quietly when the container goes, not with "Error attaching".
func TestServeRunRmFailedStartQuiet(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	for i := 0; i < 3; i++ {
		_, errOut, code := s.docker("", "run", "--rm", "--user", "nosuchuser", "busybox", "true")
		if code != 125 || strings.Contains(errOut, "Error attaching") || !strings.Contains(errOut, "unable to find user nosuchuser") {
			t.Errorf("docker run --rm --user nosuchuser: exit %d: %q", code, errOut)
		}
	}
	if got := s.dockerOK("ps", "-aq"); got != "" {
		t.Errorf("containers left by docker run --rm: %q", got)
	}
}

// TestServeRunRelativeWorkdir: docker run -w with a relative path is refused
// with dockerd's words, and no container is left.
func TestServeRunRelativeWorkdir(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	_, errOut, code := s.docker("", "run", "--rm", "-w", "relative", "busybox", "pwd")
	if code != 125 || !strings.Contains(errOut, "the working directory 'relative' is invalid, it needs to be an absolute path") {
		t.Errorf("docker run -w relative: exit %d: %q", code, errOut)
	}
	if got := s.dockerOK("ps", "-aq"); got != "" {
		t.Errorf("containers left: %q", got)
	}
}

// TestServeJoinedNetworkHostname: a container in another's network
// namespace (--network container:X) has X's hostname, which X's /etc/hosts
// (shared with it) names, as with dockerd; a --hostname of its own is refused.
func TestServeJoinedNetworkHostname(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("run", "-d", "--name", "nshost", "busybox", "sleep", "1000")
	defer s.docker("", "rm", "-f", "nshost")
	want := s.dockerOK("inspect", "-f", "{{.Config.Hostname}}", "nshost")
	got := s.dockerOK("run", "--rm", "--network", "container:nshost", "busybox", "sh", "-c", `hostname; grep -c "	$(hostname)$" /etc/hosts`)
	if got != want+"1\n" {
		t.Errorf("hostname and its /etc/hosts lines in the joining container: %q, want %q", got, want+"1\n")
	}
	_, errOut, code := s.docker("", "run", "--rm", "--network", "container:nshost", "--hostname", "mine", "busybox", "true")
	if code != 125 || !strings.Contains(errOut, "conflicting options: hostname and the network mode") {
		t.Errorf("docker run --network container:X --hostname: exit %d: %q", code, errOut)
	}
}

// TestServeSupplementaryGroups: a container's process and an exec have
// their primary group among their supplementary groups, as with dockerd
// (root in busybox: 0 and wheel's 10).
func TestServeSupplementaryGroups(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	for _, tc := range []struct {
		user, want string
	}{{"", "Groups:\t0 10 \n"}, {"daemon", "Groups:\t1 \n"}, {"1000:1000", "Groups:\t1000 \n"}} {
		args := []string{"run", "--rm"}
		if tc.user != "" {
			args = append(args, "-u", tc.user)
		}
		if got := s.dockerOK(append(args, "busybox", "grep", "^Groups:", "/proc/self/status")...); got != tc.want {
			t.Errorf("docker run -u %q: %q, want %q", tc.user, got, tc.want)
		}
	}
	s.dockerOK("run", "-d", "--name", "groups", "busybox", "sleep", "1000")
	defer s.docker("", "rm", "-f", "groups")
	if got := s.dockerOK("exec", "-u", "daemon", "groups", "grep", "^Groups:", "/proc/self/status"); got != "Groups:\t1 \n" {
		t.Errorf("docker exec -u daemon: %q, want the groups 1", got)
	}
}
