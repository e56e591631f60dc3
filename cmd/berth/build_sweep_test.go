package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestBuildNetworkFlag checks docker build --network: RUN steps run on the
// build's network unless RUN --network says otherwise (RUN
// --network=default means the build's), the network is part of the cache
// key, and a network BuildKit does not know is refused in one sentence.
func TestBuildNetworkFlag(t *testing.T) {
	c := newCLI(t)
	df := "FROM busybox\nRUN ip -o link | grep -vc ': lo:' > /links || true\n" +
		"RUN --network=default ip -o link | grep -vc ': lo:' > /default || true\n" +
		"RUN --network=none ip -o link | grep -vc ': lo:' > /none || true\n"
	links := func(net string) string {
		out, errOut, code := c.run(df, "build", "-q", "--network", net, "-")
		if code != 0 {
			t.Fatalf("build --network %s: exit %d: %s", net, code, errOut)
		}
		id := strings.TrimSpace(out)
		return strings.Join(strings.Fields(c.ok("run", "--rm", id, "cat", "/links", "/default", "/none")), " ")
	}
	if got := links("none"); got != "0 0 0" {
		t.Errorf("--network none: RUN steps saw %q links beside lo, want 0 0 0", got)
	}
	if got := links("default"); got != "1 1 0" {
		t.Errorf("--network default: RUN steps saw %q links beside lo, want 1 1 0", got)
	}
	_, errOut, code := c.run(df, "build", "-q", "--network", "bogus", "-")
	if code == 0 || errOut != "berth: invalid --network \"bogus\": use default, none or host\n" {
		t.Errorf("--network bogus: exit %d: %q", code, errOut)
	}
}

// TestBuildDockerfileFromStdinWithContext checks docker build -f - PATH: the
// Dockerfile from stdin, COPY from the context at PATH; -f - with the
// context from stdin too is refused in one sentence.
func TestBuildDockerfileFromStdinWithContext(t *testing.T) {
	c := newCLI(t)
	dir := writeContext(t, map[string]string{"a.txt": "from the context\n", "Dockerfile": "FROM busybox\nRUN false\n"})
	out, errOut, code := c.run("FROM busybox\nCOPY a.txt /a.txt\n", "build", "-q", "-t", "stdinfile", "-f", "-", dir)
	if code != 0 {
		t.Fatalf("build -f - %s: exit %d: %s%s", dir, code, out, errOut)
	}
	if got := c.ok("run", "--rm", "stdinfile", "cat", "/a.txt"); got != "from the context\n" {
		t.Errorf("/a.txt: %q", got)
	}
	_, errOut, code = c.run("FROM busybox\n", "build", "-q", "-f", "-", "-")
	if code == 0 || errOut != "berth: can't use stdin for both the build context and the Dockerfile\n" {
		t.Errorf("build -f - -: exit %d: %q", code, errOut)
	}
}

// TestBuildDockerfileIgnoreFile checks BuildKit's Dockerfile-specific ignore
// file: <Dockerfile>.dockerignore beside the Dockerfile replaces the
// context's .dockerignore for that Dockerfile only.
func TestBuildDockerfileIgnoreFile(t *testing.T) {
	c := newCLI(t)
	df := "FROM busybox\nCOPY . /ctx/\nRUN ls /ctx | sort | tr '\\n' ' ' > /ls\n"
	dir := writeContext(t, map[string]string{"a.txt": "a", "b.txt": "b", ".dockerignore": "a.txt\n",
		"app.Dockerfile": df, "app.Dockerfile.dockerignore": "b.txt\n*.Dockerfile*\n", "Dockerfile": df})
	ls := func(args ...string) string {
		out, errOut, code := c.run("", append(append([]string{"build", "-q"}, args...), dir)...)
		if code != 0 {
			t.Fatalf("build %v: exit %d: %s", args, code, errOut)
		}
		return c.ok("run", "--rm", strings.TrimSpace(out), "cat", "/ls")
	}
	if got := ls("-f", dir+"/app.Dockerfile"); got != "Dockerfile a.txt " {
		t.Errorf("-f app.Dockerfile copied %q, want what app.Dockerfile.dockerignore leaves", got)
	}
	if got := ls(); got != "Dockerfile app.Dockerfile app.Dockerfile.dockerignore b.txt " {
		t.Errorf("the default Dockerfile copied %q, want what .dockerignore leaves", got)
	}
}

// TestBuildRunLayers checks a RUN's layer holds the step's changes only: no
// etc/ left by the runtime's /etc/hostname and /etc/resolv.conf mount
// points, and a RUN that changed nothing adds no layer (its history entry
// is empty_layer), as BuildKit does.
func TestBuildRunLayers(t *testing.T) {
	c := newCLI(t)
	df := "FROM busybox\nRUN true\nRUN echo hi > /hi\n"
	if _, errOut, code := c.run(df, "build", "-q", "-t", "runlayers", "-"); code != 0 {
		t.Fatalf("build: exit %d: %s", code, errOut)
	}
	if got := c.ok("image", "inspect", "--format", "{{len .RootFS.Layers}}", "runlayers"); got != "2\n" {
		t.Errorf("%s layers, want 2: busybox's and that of RUN echo", strings.TrimSpace(got))
	}
	hist := c.ok("image", "history", "--format", "{{.Size}} {{.CreatedBy}}", "runlayers")
	if !strings.Contains(hist, "0B RUN /bin/sh -c true # buildkit\n") {
		t.Errorf("history:\n%s", hist)
	}
	dir := t.TempDir()
	c.ok("save", "-o", dir+"/img.tar", "runlayers")
	f, err := os.Open(dir + "/img.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := tarEntries(t, f)
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal([]byte(files["manifest.json"]), &manifest); err != nil || len(manifest) != 1 || len(manifest[0].Layers) != 2 {
		t.Fatalf("manifest.json: %v %s", err, files["manifest.json"])
	}
	layer := tarEntries(t, strings.NewReader(files[manifest[0].Layers[1]]))
	if len(layer) != 1 || layer["hi"] != "hi\n" {
		t.Errorf("RUN echo's layer holds %q, want hi alone", slices.Sorted(maps.Keys(layer)))
	}
}

// TestBuildContextTarOnStdin checks docker build - < context.tar(.gz): a tar
// on stdin is the build context (with its Dockerfile, or -f naming one in
// it), not a Dockerfile.
func TestBuildContextTarOnStdin(t *testing.T) {
	c := newCLI(t)
	ctx := tarOf(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY a.txt /a\n", "a.txt": "from the tar\n",
		"other.Dockerfile": "FROM busybox\nCOPY a.txt /other\n"})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(ctx); err != nil || zw.Close() != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		file        string
	}{
		{"tar", string(ctx), nil, "/a"},
		{"tar.gz", gz.String(), nil, "/a"},
		{"tar with -f", string(ctx), []string{"-f", "other.Dockerfile"}, "/other"},
	} {
		out, errOut, code := c.run(tc.stdin, append(append([]string{"build", "-q"}, tc.args...), "-")...)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", tc.name, code, errOut)
			continue
		}
		if got := c.ok("run", "--rm", strings.TrimSpace(out), "cat", tc.file); got != "from the tar\n" {
			t.Errorf("%s: %s holds %q", tc.name, tc.file, got)
		}
	}
}
