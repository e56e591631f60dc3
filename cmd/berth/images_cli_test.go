package main

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// startRegistry serves go-containerregistry's registry on 127.0.0.1, asking for
// HTTP basic auth user:pass when user is set. It returns "127.0.0.1:port".
func startRegistry(t *testing.T, user, pass string) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); user != "" && (!ok || u != user || p != pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"permission denied","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// fail runs berth expecting a one-line error containing want and exit code 125.
func (c *cli) fail(stdin, want string, args ...string) {
	c.t.Helper()
	_, errOut, code := c.run(stdin, args...)
	if code != 125 || !strings.Contains(errOut, want) {
		c.t.Errorf("berth %s: exit %d, stderr %q; want 125 and %q", strings.Join(args, " "), code, errOut, want)
	}
	if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		c.t.Errorf("berth %s: error is not one line: %q", strings.Join(args, " "), errOut)
	}
}

// storeState is what an image store holds: image IDs and blob files.
func (c *cli) storeState() string {
	c.t.Helper()
	ids := c.ok("images", "-aq", "--no-trunc")
	blobs, _ := os.ReadDir(filepath.Join(c.root, "images", "oci", "blobs", "sha256"))
	var names []string
	for _, b := range blobs {
		names = append(names, b.Name())
	}
	return ids + strings.Join(names, ",")
}

func TestRegistryLoginPushPullRun(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := startRegistry(t, "alice", "s3cret")
	c := newCLI(t)
	ref := host + "/team/busybox:v1"
	id := c.ok("images", "-q", "--no-trunc", "busybox")
	c.ok("tag", "busybox", ref)

	c.fail("", "permission denied", "push", ref) // not logged in
	c.fail("wrong\n", "permission denied", "login", "-u", "alice", "--password-stdin", host)
	c.fail("", "non TTY", "login", host)
	if out := c.ok("login", "-u", "alice", "-p", "s3cret", host); out != "Login Succeeded\n" {
		t.Errorf("login: %q", out)
	}
	out, _, code := c.run("s3cret\n", "login", "-u", "alice", "--password-stdin", host)
	if out != "Login Succeeded\n" || code != 0 {
		t.Errorf("login --password-stdin: %q exit %d", out, code)
	}
	cfg, _ := os.ReadFile(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json"))
	if !strings.Contains(string(cfg), host) {
		t.Errorf("config.json lacks %s: %s", host, cfg)
	}

	out = c.ok("push", ref)
	if !strings.HasPrefix(out, "The push refers to repository ["+host+"/team/busybox]\n") || !strings.Contains(out, "Pushed") {
		t.Errorf("push output: %q", out)
	}
	pushed := c.ok("images", "--digests", "--format", "{{.Digest}}", host+"/team/busybox")
	if !strings.HasPrefix(pushed, "sha256:") || !strings.Contains(out, "v1: digest: "+strings.TrimSpace(pushed)) {
		t.Fatalf("digest after push %q, push said %q", pushed, out)
	}
	if q := c.ok("push", "-q", ref); q != ref+"\n" {
		t.Errorf("push -q: %q", q)
	}

	c.ok("rmi", "-f", strings.TrimSpace(id))
	if got := c.ok("images", "-aq"); got != "" {
		t.Fatalf("images left after rmi: %q", got)
	}
	c.fail("", "not found", "pull", host+"/team/busybox:nosuchtag")
	out = c.ok("pull", ref)
	for _, want := range []string{"v1: Pulling from team/busybox\n", "Pulling fs layer", "Downloading", "%)", "Pull complete",
		"Digest: " + pushed, "Status: Downloaded newer image for " + ref, "\n" + ref + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("pull output lacks %q:\n%s", want, out)
		}
	}
	if got := c.ok("images", "--digests", "--format", "{{.Digest}}", host+"/team/busybox"); got != pushed {
		t.Errorf("pulled digest %q, pushed %q", got, pushed)
	}
	if got := c.ok("images", "-q", "--no-trunc", ref); got != id {
		t.Errorf("pulled ID %q, pushed %q", got, id)
	}
	if got := c.ok("pull", "-q", ref); got != ref+"\n" {
		t.Errorf("pull -q again: %q", got)
	}
	if got := c.ok("image", "pull", ref); !strings.Contains(got, "Status: Image is up to date for "+ref) {
		t.Errorf("image pull again: %q", got)
	}
	if got, _, code := c.run("", "run", "--rm", ref, "echo", "ok"); got != "ok\n" || code != 0 {
		t.Errorf("run pulled image: %q exit %d", got, code)
	}

	if got := c.ok("logout", host); got != "Removing login credentials for "+host+"\n" {
		t.Errorf("logout: %q", got)
	}
	if got := c.ok("logout", host); got != "Not logged in to "+host+"\n" {
		t.Errorf("second logout: %q", got)
	}
	c.fail("", "permission denied", "pull", ref)
}

func TestPullProgressOnTerminal(t *testing.T) {
	host := startRegistry(t, "", "")
	c := newCLI(t)
	ref := host + "/busybox:latest"
	c.ok("tag", "busybox", ref)
	c.ok("push", ref)
	c.ok("rmi", "-f", strings.TrimSpace(c.ok("images", "-q", "busybox")))
	exitFile := filepath.Join(t.TempDir(), "exit")
	berth := filepath.Join(binDir, "berth") + " --root " + c.root
	s := newTmux(t, 120, 30, "sh -c '"+berth+" pull "+ref+"; echo $? > "+exitFile+"; sleep 60'")
	if got := waitFile(t, exitFile); got != "0" {
		t.Fatalf("pull exit %s:\n%s", got, s.screen())
	}
	screen := s.screen()
	var layerLines []string
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, ": ") && !strings.Contains(l, "Pulling from") && !strings.HasPrefix(l, "Digest") && !strings.HasPrefix(l, "Status") {
			layerLines = append(layerLines, l)
		}
	}
	// One busybox layer: redrawn in place, it ends as a single "Pull complete" line.
	if len(layerLines) != 1 || !strings.HasSuffix(strings.TrimSpace(layerLines[0]), ": Pull complete") {
		t.Errorf("terminal progress not redrawn in place; layer lines %q in:\n%s", layerLines, screen)
	}
}

func TestSaveLoadKeepsID(t *testing.T) {
	c := newCLI(t)
	id := c.ok("images", "-q", "--no-trunc", "busybox")
	file := filepath.Join(t.TempDir(), "bb.tar")
	c.ok("save", "-o", file, "busybox")
	c.ok("rmi", "busybox")
	if out := c.ok("load", "-i", file); out != "Loaded image: busybox:latest\n" {
		t.Errorf("load -i: %q", out)
	}
	if got := c.ok("images", "-q", "--no-trunc", "busybox"); got != id {
		t.Errorf("ID after save/load %q, before %q", got, id)
	}
	// save to a pipe, load from stdin, into a second root.
	tarball, _, code := c.run("", "image", "save", "busybox")
	if code != 0 || len(tarball) < 1<<20 {
		t.Fatalf("save to stdout: exit %d, %d bytes", code, len(tarball))
	}
	other := &cli{t: t, root: t.TempDir()}
	t.Cleanup(other.teardown)
	if out, errOut, code := other.run(tarball, "image", "load"); out != "Loaded image: busybox:latest\n" || code != 0 {
		t.Fatalf("load from stdin: %q %q exit %d", out, errOut, code)
	}
	if got := other.ok("images", "-q", "--no-trunc", "busybox"); got != id {
		t.Errorf("ID after save|load %q, want %q", got, id)
	}
	if got, _, _ := other.run("", "run", "--rm", "busybox", "echo", "ok"); got != "ok\n" {
		t.Errorf("run loaded image: %q", got)
	}
	c.fail("", "no such image: nosuch", "save", "-o", filepath.Join(t.TempDir(), "x.tar"), "nosuch")
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "*")); len(m) != 1 {
		t.Errorf("failed save left files: %v", m)
	}
	c.fail("", "does not exist", "save", "-o", "/nonexistent/dir/x.tar", "busybox")
}

func TestLoadBadInputStoresNothing(t *testing.T) {
	c := newCLI(t)
	file := filepath.Join(t.TempDir(), "bb.tar")
	c.ok("save", "-o", file, "busybox")
	whole, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c.ok("rmi", "busybox")
	before := c.storeState()
	tests := []struct {
		name, input, want string
	}{
		{"truncated in a blob", string(whole[:len(whole)/2]), "unexpected EOF"},
		{"truncated in a header", string(whole[:700]), "unexpected EOF"},
		{"text file", "hello, not a tarball\n", "not a tar archive"},
		{"empty", "", "not a tar archive"},
		{"tar without images", string(tarOf(t, map[string]string{"hello.txt": "hi"})), "not an image archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.fail(tt.input, tt.want, "load")
			p := filepath.Join(t.TempDir(), "in.tar")
			os.WriteFile(p, []byte(tt.input), 0o644)
			c.fail("", tt.want, "load", "-i", p)
			if after := c.storeState(); after != before {
				t.Errorf("failed load changed the store: %q -> %q", before, after)
			}
		})
	}
	c.fail("", "no such file", "load", "-i", "/nonexistent.tar")
}

// tarOf makes an uncompressed tar of regular files.
func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(files[n])), Typeflag: tar.TypeReg})
		tw.Write([]byte(files[n]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportFromStdin(t *testing.T) {
	c := newCLI(t)
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatalf("busybox-static not installed after bootstrap: %v", err)
	}
	bin, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	rootfs := tarOf(t, map[string]string{"bin/busybox": string(bin), "etc/greeting": "imported\n"})
	out, errOut, code := c.run(string(rootfs), "import", "-c", "CMD [\"/bin/busybox\", \"cat\", \"/etc/greeting\"]", "-", "mine:v1")
	if code != 0 || !strings.HasPrefix(out, "sha256:") {
		t.Fatalf("import -: %q %q exit %d", out, errOut, code)
	}
	if got := c.ok("images", "--format", "{{.Repository}}:{{.Tag}}", "mine"); got != "mine:v1\n" {
		t.Errorf("images after import: %q", got)
	}
	if got, _, _ := c.run("", "run", "--rm", "mine:v1"); got != "imported\n" {
		t.Errorf("run imported image: %q", got)
	}
	before := c.storeState()
	c.fail("garbage that is not a tar", "", "import", "-", "bad:1")
	if after := c.storeState(); after != before {
		t.Errorf("failed import changed the store")
	}
}
