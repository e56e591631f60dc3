package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// tarEntries reads a tar into name → content (regular files) or "" (others).
func tarEntries(t *testing.T, r io.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		b, _ := io.ReadAll(tr)
		out[strings.TrimPrefix(h.Name, "./")] = string(b)
	}
}

// TestBuildOutputs exports the final filesystem with -o as docker build
// does: into a directory, into a tar file, as a tar on stdout (with -q
// printing nothing else), beside the tagged image; a bad -o or --platform
// is refused in one sentence and changes nothing.
func TestBuildOutputs(t *testing.T) {
	c := newCLI(t)
	out := t.TempDir()
	df := "FROM busybox AS build\nRUN echo hi > /hello\nFROM scratch\nCOPY --from=build /hello /\n"
	dir, file := filepath.Join(out, "dir"), filepath.Join(out, "fs.tar")
	stdout, errOut, code := c.run(df, "build", "-q", "-t", "exported", "--platform", "linux/"+runtime.GOARCH,
		"-o", "type=local,dest="+dir, "-o", "type=tar,dest="+file, "-")
	if code != 0 || !strings.HasPrefix(stdout, "sha256:") {
		t.Fatalf("build -o: exit %d: %q %s", code, stdout, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "hello")); err != nil || string(b) != "hi\n" {
		t.Errorf("-o type=local: %q %v", b, err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := tarEntries(t, f); got["hello"] != "hi\n" || len(got) != 1 {
		t.Errorf("-o type=tar: %q", got)
	}
	if got := c.ok("image", "inspect", "--format", "{{len .RootFS.Layers}}", "exported"); got != "1\n" {
		t.Errorf("the image beside the export: %q layers", got)
	}
	stdout, errOut, code = c.run(df, "build", "-q", "-o", "-", "-")
	if code != 0 {
		t.Fatalf("build -o -: exit %d: %s", code, errOut)
	}
	if got := tarEntries(t, strings.NewReader(stdout)); got["hello"] != "hi\n" || len(got) != 1 {
		t.Errorf("-o - wrote %q", got)
	}
	before := c.ok("images", "-aq")
	for _, tc := range []struct{ args []string }{
		{[]string{"-o", "type=oci,dest=x"}},
		{[]string{"-o", "type=local"}},
		{[]string{"--platform", "linux/" + otherArch()}},
	} {
		_, errOut, code := c.run(df, append(append([]string{"build", "-q"}, tc.args...), "-")...)
		if code == 0 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d: %q", tc.args, code, errOut)
		}
	}
	if _, errOut, _ := c.run(df, "build", "--platform", "linux/"+otherArch(), "-"); errOut != "berth: berth builds only for this machine's platform linux/"+runtime.GOARCH+", not linux/"+otherArch()+"\n" {
		t.Errorf("--platform: %q", errOut)
	}
	if after := c.ok("images", "-aq"); after != before {
		t.Errorf("refused builds changed the images: %q → %q", before, after)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 2 {
		t.Errorf("files left beside the outputs: %v", ents)
	}
}

// otherArch is an architecture that is not this machine's.
func otherArch() string {
	if runtime.GOARCH == "s390x" {
		return "amd64"
	}
	return "s390x"
}

// TestBuildPull checks --pull: without it a stored base is used as it is;
// with it the base is fetched again from its registry (on 127.0.0.1), where
// a different image has that name.
func TestBuildPull(t *testing.T) {
	c := newCLI(t)
	reg := startRegistry(t, "", "")
	base := reg + "/base:1"
	if _, errOut, code := c.run("FROM busybox\nRUN echo registry > /marker\n", "build", "-q", "-t", base, "-"); code != 0 {
		t.Fatalf("build: %s", errOut)
	}
	c.ok("push", base)
	if _, errOut, code := c.run("FROM busybox\nRUN echo local > /marker\n", "build", "-q", "-t", base, "-"); code != 0 {
		t.Fatalf("build: %s", errOut)
	}
	df := "FROM " + base + "\nCMD [\"cat\", \"/marker\"]\n"
	if _, errOut, code := c.run(df, "build", "-q", "-t", "nopull", "-"); code != 0 {
		t.Fatalf("build: %s", errOut)
	}
	if got := c.ok("run", "--rm", "nopull"); got != "local\n" {
		t.Errorf("without --pull: %q", got)
	}
	if _, errOut, code := c.run(df, "build", "-q", "--pull", "-t", "pulled", "-"); code != 0 {
		t.Fatalf("build --pull: %s", errOut)
	}
	if got := c.ok("run", "--rm", "pulled"); got != "registry\n" {
		t.Errorf("with --pull: %q", got)
	}
	if got := c.ok("run", "--rm", base, "cat", "/marker"); got != "registry\n" {
		t.Errorf("--pull did not store the pulled base under its name: %q", got)
	}
	if ev := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "event=pull", "--format", "{{.Actor.ID}}"); !strings.Contains(ev, "base:1") {
		t.Errorf("no pull event: %q", ev)
	}
}
