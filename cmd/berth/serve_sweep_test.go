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
