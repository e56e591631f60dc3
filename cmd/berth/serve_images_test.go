package main

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// imgAPI sends one raw request to the served API and returns the status
// and body: for the statuses the docker CLI does not show. hdr are more
// headers, name and value in turn.
func (s *served) imgAPI(method, path, ctype string, body io.Reader, hdr ...string) (int, string) {
	s.t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", s.sock)
	}}, Timeout: 2 * time.Minute}
	req, err := http.NewRequest(method, "http://berth"+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// dockerFails runs docker expecting a non-zero exit with want in stderr.
func (s *served) dockerFails(want string, args ...string) {
	s.t.Helper()
	_, errOut, code := s.docker("", args...)
	if code == 0 || !strings.Contains(errOut, want) {
		s.t.Errorf("docker %s: exit %d, stderr %q; want a failure saying %q", strings.Join(args, " "), code, errOut, want)
	}
}

// TestServeImagesListInspectTag: docker images (filters, --digests, -q),
// image inspect and history of names with slashes, tag and rmi (409 while a
// container uses the image), search refused in one sentence.
func TestServeImagesListInspectTag(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	id := strings.TrimSpace(s.ok("images", "-q", "--no-trunc", "busybox"))
	s.dockerOK("tag", "busybox", "localhost:5000/team/box:1")
	if out := s.dockerOK("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"); out != "busybox:latest "+id[7:19]+"\nlocalhost:5000/team/box:1 "+id[7:19]+"\n" &&
		out != "localhost:5000/team/box:1 "+id[7:19]+"\nbusybox:latest "+id[7:19]+"\n" {
		t.Errorf("docker images: %q", out)
	}
	if out := s.dockerOK("images", "-q"); out != strings.Repeat(id[7:19]+"\n", 2) { // a line a tag, as docker prints them
		t.Errorf("docker images -q: %q", out)
	}
	if out := s.dockerOK("images", "--digests", "--format", "{{.Repository}} {{.Digest}}", "busybox"); out != "busybox <none>\n" {
		t.Errorf("docker images --digests busybox: %q", out)
	}
	for filter, want := range map[string]string{"reference=localhost:5000/*/*": "localhost:5000/team/box\n", "dangling=true": "",
		"before=busybox": "", "until=2000-01-01": "", "reference=busy*": "busybox\n"} {
		if out := s.dockerOK("images", "--filter", filter, "--format", "{{.Repository}}"); out != want {
			t.Errorf("docker images --filter %s: %q, want %q", filter, out, want)
		}
	}
	s.dockerFails("invalid filter", "images", "--filter", "color=red")
	if out := s.dockerOK("image", "inspect", "--format", "{{.Id}} {{.Os}} {{index .RepoTags 0}} {{.Config.Cmd}}", "localhost:5000/team/box:1"); out != id+" linux busybox:latest [sh]\n" &&
		out != id+" linux localhost:5000/team/box:1 [sh]\n" {
		t.Errorf("image inspect: %q", out)
	}
	if code, body := s.imgAPI("GET", "/v1.47/images/nosuch:1/json", "", nil); code != 404 || !strings.Contains(body, "No such image: nosuch:1") {
		t.Errorf("inspect of an unknown image: %d %s", code, body)
	}
	if out := s.dockerOK("history", "--format", "{{.ID}} {{.CreatedBy}}", "localhost:5000/team/box:1"); !strings.HasPrefix(out, id[7:19]+" CMD [\"sh\"]\n<missing> ") {
		t.Errorf("docker history: %q", out)
	}
	s.dockerFails("No such image", "tag", "nosuch", "x:1")

	// A container made from the image keeps it: rmi of its ID is a 409.
	s.ok("create", "--name", "user", "busybox")
	if code, body := s.imgAPI("DELETE", "/v1.47/images/"+id, "", nil); code != 409 {
		t.Errorf("DELETE of an image in use: %d %s, want 409", code, body)
	}
	if out := s.dockerOK("rmi", "localhost:5000/team/box:1"); out != "Untagged: localhost:5000/team/box:1\n" {
		t.Errorf("rmi of a second tag: %q", out)
	}
	s.ok("rm", "user")
	s.dockerFails("searches no registry", "search", "busybox")
	if code, _ := s.imgAPI("GET", "/v1.47/images/search?term=x", "", nil); code != 501 {
		t.Errorf("search: %d, want 501", code)
	}
}

// TestServeImagesSaveLoadImportPrune: save | load round trip, a load with a
// "../" entry refused with nothing stored, import with a change, prune.
func TestServeImagesSaveLoadImportPrune(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	dir := t.TempDir()
	id := strings.TrimSpace(s.ok("images", "-q", "--no-trunc", "busybox"))
	s.dockerOK("tag", "busybox", "keep/me:2")
	archive := filepath.Join(dir, "imgs.tar")
	s.dockerOK("save", "-o", archive, "busybox", "keep/me:2")
	s.dockerOK("rmi", "busybox", "keep/me:2")
	if out := s.ok("images", "-aq"); out != "" {
		t.Fatalf("images left after rmi: %q", out)
	}
	out := s.dockerOK("load", "-i", archive)
	if !strings.Contains(out, "Loaded image: busybox:latest\n") || !strings.Contains(out, "Loaded image: keep/me:2\n") {
		t.Errorf("docker load: %q", out)
	}
	if got := strings.TrimSpace(s.ok("images", "-q", "--no-trunc", "keep/me:2")); got != id {
		t.Errorf("loaded ID %q, saved %q", got, id)
	}
	code, body := s.imgAPI("GET", "/v1.47/images/get?names=busybox&names=nosuch", "", nil)
	if code != 404 {
		t.Errorf("save of an unknown image: %d %s", code, body)
	}

	before := s.storeState()
	var evil bytes.Buffer
	tw := tar.NewWriter(&evil)
	tw.WriteHeader(&tar.Header{Name: "../escape", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	code, body = s.imgAPI("POST", "/v1.47/images/load", "application/x-tar", bytes.NewReader(evil.Bytes()))
	if code != 400 || strings.Count(body, "\n") != 1 || !strings.Contains(body, "escape") {
		t.Errorf("load of a tar with ../: %d %q, want 400 naming the entry", code, body)
	}
	if after := s.storeState(); after != before {
		t.Errorf("a refused load changed the store:\n%s\n%s", before, after)
	}

	var fs bytes.Buffer
	tw = tar.NewWriter(&fs)
	tw.WriteHeader(&tar.Header{Name: "hello", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi\n"))
	tw.Close()
	out, errOut, code := s.docker(fs.String(), "import", "--change", `CMD ["/hello"]`, "-", "imported:1")
	if code != 0 || !strings.HasPrefix(out, "sha256:") {
		t.Fatalf("docker import: %d %q %q", code, out, errOut)
	}
	if got := s.dockerOK("image", "inspect", "--format", "{{.Id}} {{.Config.Cmd}}", "imported:1"); got != strings.TrimSpace(out)+" [/hello]\n" {
		t.Errorf("imported image: %q (import said %q)", got, out)
	}
	dangling, _, _ := s.docker(fs.String(), "import", "-")
	if out := s.dockerOK("images", "--filter", "dangling=true", "-q", "--no-trunc"); out != dangling {
		t.Errorf("dangling images %q, imported %q", out, dangling)
	}
	out = s.dockerOK("image", "prune", "-f")
	if !strings.Contains(out, "deleted: "+strings.TrimSpace(dangling)) || !strings.Contains(out, "Total reclaimed space:") {
		t.Errorf("image prune: %q", out)
	}
	out = s.dockerOK("image", "prune", "-af")
	if !strings.Contains(out, "untagged: imported:1") || !strings.Contains(out, "untagged: busybox:latest") {
		t.Errorf("image prune -a: %q", out)
	}
	if out := s.ok("images", "-aq"); out != "" {
		t.Errorf("images left after prune -a: %q", out)
	}
}

// TestServeImagesPushPull: push to and pull from a registry on 127.0.0.1
// with the docker CLI, and the distribution endpoint of the local image.
func TestServeImagesPushPull(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	host := startRegistry(t, "", "")
	ref := host + "/team/box:v1"
	id := strings.TrimSpace(s.ok("images", "-q", "--no-trunc", "busybox"))
	s.dockerOK("tag", "busybox", ref)
	out := s.dockerOK("push", ref)
	if !strings.Contains(out, "The push refers to repository ["+host+"/team/box]") || !strings.Contains(out, "v1: digest: sha256:") {
		t.Errorf("docker push: %q", out)
	}
	digest := strings.TrimSpace(s.dockerOK("image", "inspect", "--format", "{{index .RepoDigests 0}}", ref))
	if !strings.HasPrefix(digest, host+"/team/box@sha256:") || !strings.Contains(out, strings.TrimPrefix(digest, host+"/team/box@")) {
		t.Errorf("repo digest %q after push %q", digest, out)
	}
	code, body := s.imgAPI("GET", "/v1.47/distribution/"+ref+"/json", "", nil)
	if code != 200 || !strings.Contains(body, strings.TrimPrefix(digest, host+"/team/box@")) || !strings.Contains(body, `"architecture"`) {
		t.Errorf("distribution inspect: %d %s", code, body)
	}
	s.dockerOK("rmi", "-f", id)
	out = s.dockerOK("pull", ref)
	for _, want := range []string{"v1: Pulling from team/box", "Pull complete", "Digest: sha256:", "Status: Downloaded newer image for " + ref, ref + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker pull lacks %q: %q", want, out)
		}
	}
	if got := strings.TrimSpace(s.ok("images", "-q", "--no-trunc", ref)); got != id {
		t.Errorf("pulled %q, pushed %q", got, id)
	}
	if out := s.dockerOK("pull", ref); !strings.Contains(out, "Status: Image is up to date for "+ref) {
		t.Errorf("second pull: %q", out)
	}
	s.dockerFails("not found", "pull", host+"/team/box:nosuch")
	s.dockerFails("does not exist locally", "push", host+"/team/none:v1")
}

// TestServeBuild: DOCKER_BUILDKIT=0 docker build of a Dockerfile with ENV,
// COPY, RUN and CMD writes the classic builder's stream and makes the image
// berth inspects; a rebuild uses the cache; a failed RUN fails the build;
// bad query values are a 400.
func TestServeBuild(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.env = append(s.env, "DOCKER_BUILDKIT=0")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nENV GREETING=hi\nCOPY hello.txt /hello.txt\n"+
		"RUN cat /hello.txt > /copied && echo built\nCMD [\"cat\", \"/copied\"]\n"), 0o644)
	out := s.dockerOK("build", "-t", "app", "--label", "tier=web", dir)
	for _, want := range []string{"Step 1/5 : FROM busybox\n", "Step 4/5 : RUN cat /hello.txt > /copied && echo built\n ---> Running in ",
		"\nbuilt\n", "Step 5/5 : CMD [\"cat\", \"/copied\"]\n", "Successfully built ", "Successfully tagged app:latest\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker build lacks %q:\n%s", want, out)
		}
	}
	got := s.ok("inspect", "--format", "{{json .Config.Cmd}} {{json .Config.Env}} {{index .Config.Labels \"tier\"}}", "app")
	if !strings.HasPrefix(got, `["cat","/copied"] [`) || !strings.Contains(got, `"GREETING=hi"`) || !strings.HasSuffix(got, " web\n") {
		t.Errorf("built image config: %q", got)
	}
	if out := s.ok("run", "--rm", "app"); out != "hello\n" {
		t.Errorf("the built image runs: %q", out)
	}
	if out := s.dockerOK("images", "--filter", "label=tier=web", "--format", "{{.Repository}}"); out != "app\n" {
		t.Errorf("images --filter label: %q", out)
	}
	id := strings.TrimSpace(s.ok("images", "-q", "--no-trunc", "app"))
	out = s.dockerOK("build", "-q", "-t", "app:2", "--label", "tier=web", dir)
	if out != id+"\n" {
		t.Errorf("docker build -q of the same context: %q, want %s", out, id)
	}
	if out := s.dockerOK("build", "-t", "app:3", "--label", "tier=web", dir); strings.Count(out, " ---> Using cache\n") != 4 {
		t.Errorf("rebuild without cache hits:\n%s", out)
	}

	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN exit 3\n"), 0o644)
	s.dockerFails("The command '/bin/sh -c exit 3' returned a non-zero code: 3", "build", "-t", "broken", dir)

	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: 13, Typeflag: tar.TypeReg})
	tw.Write([]byte("FROM busybox\n"))
	tw.Close()
	for q, want := range map[string]string{"buildargs=%7Bnot-json": "buildargs", "labels=%5B1%5D": "labels",
		"remote=https://example.com/x.git": "remote", "networkmode=host": "networkmode", "version=2": "DOCKER_BUILDKIT=0",
		"dockerfile=Nope": "cannot locate specified Dockerfile: Nope"} {
		code, body := s.imgAPI("POST", "/v1.47/build?"+q, "application/x-tar", bytes.NewReader(ctxTar.Bytes()))
		if code != 400 || !strings.Contains(body, want) || strings.Count(body, "\n") != 1 {
			t.Errorf("build?%s: %d %q, want a 400 naming %s", q, code, body, want)
		}
	}
	// A base image that is not here fails the build in its stream (200, an
	// errorDetail), as the classic builder's failed pull: docker-py raises
	// BuildError, not NotFound.
	var noBase bytes.Buffer
	tw = tar.NewWriter(&noBase)
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: 16, Typeflag: tar.TypeReg})
	tw.Write([]byte("FROM nosuch:img\n"))
	tw.Close()
	if code, body := s.imgAPI("POST", "/v1.47/build", "application/x-tar", &noBase); code != 200 || !strings.Contains(body, `"errorDetail"`) || !strings.Contains(body, "nosuch:img") {
		t.Errorf("build FROM a missing image: %d %q, want 200 and an errorDetail in the stream", code, body)
	}
	if code, body := s.imgAPI("POST", "/v1.47/session", "", nil); code != 501 || !strings.Contains(body, "DOCKER_BUILDKIT=0") {
		t.Errorf("session: %d %s", code, body)
	}
	if out := s.dockerOK("builder", "prune", "-af"); !strings.Contains(out, "Total:") && !strings.Contains(out, "Total reclaimed space") {
		t.Errorf("builder prune: %q", out)
	}
}

// TestServeImagesDockerPy: docker-py lists, builds, pulls from a registry
// on 127.0.0.1 and tags through the API.
func TestServeImagesDockerPy(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	host := startRegistry(t, "", "")
	s.ok("tag", "busybox", host+"/py/box:1")
	s.ok("push", host+"/py/box:1")
	s.ok("rmi", host+"/py/box:1")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN echo made > /made\nCMD [\"cat\", \"/made\"]\n"), 0o644)
	out, errOut, code := s.python(`
import docker
c = docker.from_env()
print(sorted(t for i in c.images.list() for t in i.tags))
img, logs = c.images.build(path="` + dir + `", tag="pyapp:1")
print(img.tags, any("Successfully built" in l.get("stream", "") for l in logs))
p = c.images.pull("` + host + `/py/box", tag="1")
print(p.tags)
print(c.images.get("pyapp:1").tag("pyapp", "2"), sorted(c.images.get("pyapp:1").tags))
try:
    c.images.get("nosuch:9")
except docker.errors.ImageNotFound as e:
    print("not found")
`)
	want := "['busybox:latest']\n['pyapp:1'] True\n['" + host + "/py/box:1', 'busybox:latest']\nTrue ['pyapp:1', 'pyapp:2']\nnot found\n"
	if code != 0 || out != want {
		t.Errorf("docker-py: exit %d\n%s\nwant\n%s\nstderr: %s", code, out, want, errOut)
	}
}

// TestServeImagesPullAuth: the X-Registry-Auth header's credentials reach
// the registry (docker-py's auth_config); none is anonymous and refused; a
// header that is not base64url JSON is a 400.
func TestServeImagesPullAuth(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	host := startRegistry(t, "alice", "s3cret")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ref := host + "/sec/box:1"
	s.ok("tag", "busybox", ref)
	s.ok("login", "-u", "alice", "-p", "s3cret", host)
	s.ok("push", ref)
	s.ok("rmi", ref)
	out, errOut, code := s.python(`
import docker
c = docker.from_env()
try:
    c.images.pull("` + host + `/sec/box", tag="1")
except docker.errors.APIError as e:
    print("refused", e.response.status_code in (401, 403))
print(c.images.pull("` + host + `/sec/box", tag="1", auth_config={"username": "alice", "password": "s3cret"}).tags)
`)
	if want := "refused True\n['" + host + "/sec/box:1', 'busybox:latest']\n"; code != 0 || out != want {
		t.Errorf("docker-py pull with auth: exit %d %q, want %q; stderr %s", code, out, want, errOut)
	}
	// docker login: the server checks the credentials (POST /auth), the
	// CLI keeps them; a wrong password is refused and nothing is kept.
	if _, errOut, code := s.docker("", "login", "-u", "alice", "-p", "wrong", host); code == 0 || !strings.Contains(errOut, "denied") {
		t.Errorf("docker login with a wrong password: exit %d %q", code, errOut)
	}
	if out := s.dockerOK("login", "-u", "alice", "-p", "s3cret", host); !strings.Contains(out, "Login Succeeded") {
		t.Errorf("docker login: %q", out)
	}
	s.dockerOK("pull", ref)
	code, body := s.imgAPI("POST", "/v1.47/images/create?fromImage="+host+"/sec/box&tag=1", "", nil, "X-Registry-Auth", "%%%")
	if code != 400 || !strings.Contains(body, "X-Registry-Auth") {
		t.Errorf("a bad X-Registry-Auth: %d %s", code, body)
	}
}
