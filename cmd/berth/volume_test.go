package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVolumeVerbsAndMounts(t *testing.T) {
	c := newCLI(t)
	c.ok("volume", "create", "--label", "tier=db", "data")
	if got := c.ok("volume", "ls", "-q"); got != "data\n" {
		t.Errorf("volume ls -q: %q", got)
	}
	c.ok("run", "--rm", "-v", "data:/var/lib/data", "busybox", "sh", "-c", "echo v1 > /var/lib/data/x")
	if got := c.ok("run", "--rm", "--mount", "type=volume,src=data,dst=/d,readonly", "busybox", "sh", "-c", "cat /d/x; touch /d/y 2>/dev/null || echo ro"); got != "v1\nro\n" {
		t.Errorf("--mount readonly volume: %q", got)
	}
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "index.html"), []byte("site\n"), 0o644)
	if got := c.ok("run", "--rm", "-v", host+":/www:ro", "busybox", "cat", "/www/index.html"); got != "site\n" {
		t.Errorf("-v bind ro: %q", got)
	}
	missing := filepath.Join(t.TempDir(), "made-by-v")
	c.ok("run", "--rm", "-v", missing+":/m", "busybox", "true")
	if fi, err := os.Stat(missing); err != nil || !fi.IsDir() {
		t.Errorf("-v did not create the missing host path: %v", err)
	}
	if got := c.ok("run", "--rm", "--tmpfs", "/run:size=16m", "busybox", "sh", "-c", "df -k /run | tail -1 | awk '{print $2}'"); got != "16384\n" {
		t.Errorf("--tmpfs size: %q", got)
	}
	c.ok("run", "-d", "--name", "holder", "-v", "/anon", "-v", "data:/data", "busybox", "sleep", "100")
	if got := c.ok("run", "--rm", "--volumes-from", "holder", "busybox", "cat", "/data/x"); got != "v1\n" {
		t.Errorf("--volumes-from: %q", got)
	}
	if _, errOut, code := c.run("", "volume", "rm", "data"); code == 0 || !strings.Contains(errOut, "in use") {
		t.Errorf("rm of a volume in use: exit %d %q", code, errOut)
	}
	if got := c.ok("inspect", "-f", "{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}", "holder"); got != "volume:/anon volume:/data \n" {
		t.Errorf("inspect mounts: %q", got)
	}
	c.ok("rm", "-f", "-v", "holder")
	if got := c.ok("volume", "ls", "-q"); got != "data\n" {
		t.Errorf("after rm -v, volumes: %q (anonymous gone, named kept)", got)
	}
	if out := c.ok("system", "df"); !strings.Contains(out, "Local Volumes") || !strings.Contains(out, "Images") {
		t.Errorf("system df: %q", out)
	}
	c.ok("volume", "rm", "data")
	c.ok("volume", "create", "spare")
	if out := c.ok("volume", "prune", "-f", "-a"); !strings.Contains(out, "spare") {
		t.Errorf("prune: %q", out)
	}
}

func TestCopyBothWays(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "box", "busybox", "sh", "-c", "echo container-shadow > /etc/shadow; ln -s /etc/shadow /tmp/lnk; sleep 100")
	dir := t.TempDir()
	c.ok("cp", "box:/etc/hostname", dir)
	if b, err := os.ReadFile(filepath.Join(dir, "hostname")); err != nil || len(b) < 12 {
		t.Errorf("cp out: %q %v", b, err)
	}
	os.WriteFile(filepath.Join(dir, "file"), []byte("in\n"), 0o644)
	c.ok("cp", filepath.Join(dir, "file"), "box:/tmp/")
	if got := c.ok("exec", "box", "cat", "/tmp/file"); got != "in\n" {
		t.Errorf("cp in: %q", got)
	}
	c.ok("cp", "-L", "box:/tmp/lnk", filepath.Join(dir, "shadow-copy"))
	if b, _ := os.ReadFile(filepath.Join(dir, "shadow-copy")); string(b) != "container-shadow\n" {
		t.Errorf("cp of a symlink to /etc/shadow copied %q, not the container's file", b)
	}
	c.ok("stop", "-t", "1", "box")
	c.ok("cp", "box:/tmp/file", filepath.Join(dir, "from-stopped"))
	if b, _ := os.ReadFile(filepath.Join(dir, "from-stopped")); string(b) != "in\n" {
		t.Errorf("cp from a stopped container: %q", b)
	}
}

func TestMountBadInput(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"run", "--rm", "-v", ":/x", "busybox", "true"},
		{"run", "--rm", "-v", "data:relative", "busybox", "true"},
		{"run", "--rm", "--mount", "type=volume,src=d,dst=/d,bogus=1", "busybox", "true"},
		{"run", "--rm", "--mount", "type=bind,src=/nonexistent/berth-x,dst=/d", "busybox", "true"},
		{"volume", "create", "a/b"},
		{"volume", "create", ".."},
	} {
		_, errOut, code := c.run("", args...)
		if code != 125 || strings.TrimSpace(errOut) == "" {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
	if got := c.ok("volume", "ls", "-q"); got != "" {
		t.Errorf("bad input created volumes: %q", got)
	}
	if _, err := os.Stat("/nonexistent/berth-x"); err == nil {
		t.Error("--mount bind created its missing source")
	}
}
