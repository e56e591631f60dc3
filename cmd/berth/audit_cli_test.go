package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeContext makes a build context from name → content ("" content with a
// trailing / makes a directory).
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestImageAudit builds an image that copies a key in, makes a big file and
// deletes both in a later step: the audit still finds the key in its layer and
// counts the wasted bytes; an image with a user and a healthcheck is clean.
func TestImageAudit(t *testing.T) {
	c := newCLI(t)
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
	dir := writeContext(t, map[string]string{"id_rsa": key, "Dockerfile": "FROM busybox\n" +
		"ENV DB_PASSWORD=hunter2\n" +
		"COPY id_rsa /root/.ssh/id_rsa\n" +
		"RUN head -c 200000 /dev/zero > /tmp/big\n" +
		"RUN rm /root/.ssh/id_rsa /tmp/big\n"})
	c.ok("build", "-q", "-t", "leaky:1", dir)
	out, errOut, code := c.run("", "image", "audit", "leaky:1")
	if code != 1 || errOut != "" {
		t.Fatalf("audit of leaky:1: exit %d, stderr %q, want 1 and nothing", code, errOut)
	}
	for _, want := range []string{
		"Audit of leaky:1: 4 warnings, 1 note\n",
		"WARNING: RootUser - runs as root (no USER)\n",
		"WARNING: SecretEnv - environment variable DB_PASSWORD holds a value that looks like a secret\n",
		"WARNING: SecretFile - SSH private key /root/.ssh/id_rsa in layer 2 (deleted in layer 4, but still in layer 2)\n",
		"WARNING: WastedBytes - 2 files added in one layer and deleted in a later one waste 200kB\n",
		"  /tmp/big (200kB)\n",
		"INFO: NoHealthcheck - no HEALTHCHECK\n",
		"Fix: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("audit output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("audit output shows the secret's value:\n%s", out)
	}
	js, _, code := c.run("", "image", "audit", "--format", "json", "busybox")
	var fs []struct{ Rule, Level, Reason, Fix string }
	if err := json.Unmarshal([]byte(js), &fs); err != nil || code != 1 || len(fs) == 0 || fs[0].Rule != "RootUser" || fs[0].Level != "warning" || fs[0].Fix == "" {
		t.Errorf("audit --format json of busybox: exit %d, %v, %q", code, err, js)
	}

	clean := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nUSER 1000\nHEALTHCHECK CMD true\n"})
	c.ok("build", "-q", "-t", "clean:1", clean)
	if out := c.ok("image", "audit", "clean:1"); out != "Audit of clean:1: 0 warnings, 0 notes\n" {
		t.Errorf("audit of clean:1: %q", out)
	}
	if _, errOut, code := c.run("", "image", "audit", "nosuch:1"); code == 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "nosuch") {
		t.Errorf("audit of a missing image: exit %d, %q", code, errOut)
	}
	c.wantClean()
}

// TestBuildCheck runs `build --check` over the Dockerfiles of testdata/audit:
// docker's summary line and format, exit 1 on warnings, and no image built.
func TestBuildCheck(t *testing.T) {
	c := newCLI(t)
	out, errOut, code := c.run("", "build", "--check", "-t", "checked:1", "-f", "../../testdata/audit/latest.Dockerfile", "../../testdata/audit")
	if code != 1 || errOut != "" {
		t.Fatalf("build --check of latest.Dockerfile: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Check complete, 2 warnings have been found!\n",
		"\nWARNING: UntaggedBaseImage - FROM busybox has no tag, so it means busybox:latest\n",
		"latest.Dockerfile:2\n--------------------\n   1 |     ARG BASE=debian:latest\n   2 | >>> FROM busybox AS build\n   3 |     FROM $BASE\n--------------------\n",
		"\nWARNING: LatestBaseImage - FROM debian:latest uses the latest tag\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if _, _, code := c.run("", "image", "inspect", "checked:1"); code == 0 {
		t.Errorf("build --check built checked:1")
	}
	if out := c.ok("build", "--check", "-f", "../../testdata/audit/good.Dockerfile", "../../testdata/audit"); out != "Check complete, no warnings found.\n" {
		t.Errorf("check of good.Dockerfile: %q", out)
	}
	git := writeContext(t, map[string]string{".git/HEAD": "ref", "Dockerfile": "FROM busybox:1\nUSER 1\nCOPY . .\n"})
	out, _, code = c.run("", "build", "--check", git)
	if code != 1 || !strings.Contains(out, "WARNING: NoDockerignore - no .dockerignore, but the context holds .git\n") ||
		!strings.Contains(out, "INFO: NoHealthcheck") {
		t.Errorf("check of a context with .git: exit %d:\n%s", code, out)
	}
	_, errOut, code = c.run("FROM busybox\nFOO bar\n", "build", "--check", "-")
	if code == 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "Dockerfile") {
		t.Errorf("check of a bad Dockerfile: exit %d, %q", code, errOut)
	}
}
