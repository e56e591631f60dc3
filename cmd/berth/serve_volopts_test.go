package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
)

// TestVolumeMountOptionsThroughDocker: the docker CLI makes a tmpfs volume
// and a bind volume with the local driver's options on berth's socket;
// inspect shows the options, containers see the filesystems, and removing
// the last container unmounts them without touching the bind's host files.
func TestVolumeMountOptionsThroughDocker(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "site"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.dockerOK("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=10m,uid=1000", "tv")
	s.ok("volume", "create", "-o", "type=none", "-o", "device="+src, "-o", "o=bind", "bv")
	if out := s.dockerOK("volume", "inspect", "-f", "{{json .Options}}", "tv"); out != `{"device":"tmpfs","o":"size=10m,uid=1000","type":"tmpfs"}`+"\n" {
		t.Errorf("docker volume inspect tv's Options: %q", out)
	}
	if out := s.ok("volume", "inspect", "-f", "{{json .Options}}", "bv"); out != `{"device":"`+src+`","o":"bind","type":"none"}`+"\n" {
		t.Errorf("berth volume inspect bv's Options: %q", out)
	}
	out := s.dockerOK("run", "--rm", "-v", "tv:/t", "-v", "bv:/b", "busybox", "sh", "-c",
		"grep ' /t ' /proc/mounts; stat -c %u /t; cat /b/site")
	if !strings.HasPrefix(out, "tmpfs /t tmpfs ") || !strings.Contains(out, "size=10240k") || !strings.HasSuffix(out, "\n1000\nfrom the host\n") {
		t.Errorf("docker run with the volumes: %q", out)
	}
	for _, v := range []string{"tv", "bv"} {
		mp := filepath.Join(s.root, "volumes", v, "_data")
		if on, err := mountinfo.Mounted(mp); err != nil || on {
			t.Errorf("%s is mounted after its only container went: %v %v", v, on, err)
		}
	}
	// --mount volume-opt makes the volume it names with those options.
	out = s.dockerOK("run", "--rm", "--mount", "type=volume,src=mv,dst=/m,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=5m",
		"busybox", "sh", "-c", "grep ' /m ' /proc/mounts")
	if !strings.HasPrefix(out, "tmpfs /m tmpfs ") || !strings.Contains(out, "size=5120k") {
		t.Errorf("docker run --mount ...,volume-opt=type=tmpfs: %q", out)
	}
	if out := s.ok("volume", "inspect", "-f", "{{json .Options}}", "mv"); out != `{"device":"tmpfs","o":"size=5m","type":"tmpfs"}`+"\n" {
		t.Errorf("the volume --mount made: %q", out)
	}
	s.dockerOK("volume", "rm", "tv", "bv", "mv")
	if b, err := os.ReadFile(filepath.Join(src, "site")); err != nil || string(b) != "from the host\n" {
		t.Errorf("the bind volume's host file after volume rm: %q %v", b, err)
	}
}
