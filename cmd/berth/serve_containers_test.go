package main

import (
	"archive/tar"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeContainerLifecycle: the docker CLI creates, starts, pauses,
// restarts, kills, waits for, stops, renames, updates, lists and removes a
// container through berth serve, and each verb lands in the engine's state.
func TestServeContainerLifecycle(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	id := strings.TrimSpace(s.dockerOK("create", "--name", "box", "--label", "role=test", "-e", "K=V",
		"--restart", "on-failure:2", "--stop-timeout", "1", "busybox", "sleep", "1000"))
	if len(id) != 64 {
		t.Fatalf("docker create printed %q, want an ID", id)
	}
	if out := s.dockerOK("inspect", "--format", "{{.Name}} {{.State.Status}} {{.HostConfig.RestartPolicy.Name}} {{.Config.Labels.role}}", "box"); strings.TrimSpace(out) != "/box created on-failure test" {
		t.Errorf("inspect after create: %q", out)
	}
	s.dockerOK("start", "box")
	s.dockerOK("start", "box") // 304: the CLI takes it as done
	// The user's variables come first in Config.Env, as dockerd puts them.
	if out := s.dockerOK("inspect", "--format", "{{.State.Running}} {{index .Config.Env 0}}", "box"); strings.TrimSpace(out) != "true K=V" {
		t.Errorf("inspect after start: %q, want %q", out, "true K=V")
	}
	s.dockerOK("pause", "box")
	if out := s.dockerOK("ps", "--filter", "status=paused", "--format", "{{.Names}}"); strings.TrimSpace(out) != "box" {
		t.Errorf("ps status=paused: %q", out)
	}
	s.dockerOK("unpause", "box")
	if out := s.dockerOK("top", "box"); !strings.Contains(out, "sleep 1000") || !strings.HasPrefix(out, "UID") {
		t.Errorf("docker top: %q", out)
	}
	s.dockerOK("restart", "-t", "1", "box")
	s.dockerOK("update", "--memory", "64m", "box")
	if out := s.dockerOK("inspect", "--format", "{{.HostConfig.Memory}} {{.State.Running}}", "box"); strings.TrimSpace(out) != "67108864 true" {
		t.Errorf("inspect after update: %q", out)
	}
	if _, errOut, code := s.docker("", "rm", "box"); code == 0 || !strings.Contains(errOut, "You cannot remove a running container ") || strings.HasSuffix(strings.TrimSpace(errOut), "conflict") {
		t.Errorf("rm of a running container: exit %d %q", code, errOut)
	}
	s.dockerOK("kill", "box")
	if out := s.dockerOK("wait", "box"); strings.TrimSpace(out) != "137" {
		t.Errorf("docker wait: %q", out)
	}
	s.dockerOK("stop", "box") // 304 for a stopped container
	s.dockerOK("rename", "box", "crate")
	s.dockerOK("create", "--name", "other", "busybox", "true")
	for _, tc := range []struct{ filter, want string }{
		{"status=exited", "crate"},
		{"exited=137", "crate"},
		{"status=created", "other"},
		{"name=^/cr", "crate"},
		{"label=role=test", "crate"},
		{"id=" + id[:10], "crate"},
		{"ancestor=busybox", "other crate"},
		{"since=crate", "other"},
		{"before=other", "crate"},
		{"is-task=true", ""},
	} {
		out := s.dockerOK("ps", "-a", "--filter", tc.filter, "--format", "{{.Names}}")
		if got := strings.Join(strings.Fields(out), " "); got != tc.want {
			t.Errorf("ps -a --filter %s: %q, want %q", tc.filter, got, tc.want)
		}
	}
	if _, errOut, code := s.docker("", "ps", "--filter", "status=sleeping"); code == 0 || !strings.Contains(errOut, "status=sleeping") {
		t.Errorf("ps with a bad status filter: exit %d %q", code, errOut)
	}
	if out := s.dockerOK("container", "prune", "-f", "--filter", "label=role=test"); !strings.Contains(out, id) {
		t.Errorf("container prune --filter label: %q", out)
	}
	s.dockerOK("rm", "other")
	if out := s.ok("ps", "-aq"); out != "" {
		t.Errorf("containers left in the engine: %q", out)
	}
}

// TestServeContainerPortsAndFiles: docker run -d publishes a port that
// answers on 127.0.0.1; docker port, cp both ways, diff, export and commit
// work on the container.
func TestServeContainerPortsAndFiles(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("run", "-d", "-p", "0:80", "-v", "cache:/cache:ro", "--name", "web", "busybox", "httpd", "-f", "-p", "80", "-h", "/")
	hostPort := portOf(t, s.dockerOK("port", "web", "80/tcp"))
	if out := s.dockerOK("inspect", "--format", "{{json .HostConfig.Binds}} {{(index .Mounts 0).Name}} {{.Mounts}}", "web"); !strings.HasPrefix(out, `["cache:/cache:ro"] cache `) {
		t.Errorf("inspect of the volume: %q", out)
	}
	for _, tc := range []struct{ filter, want string }{
		{"publish=80", "web"}, {"publish=79-81/tcp", "web"}, {"publish=80/udp", ""}, {"expose=80", "web"}, {"expose=81", ""},
		{"network=bridge", "web"}, {"network=none", ""}, {"volume=cache", "web"}, {"volume=/cache", "web"},
		{"health=none", "web"},
	} {
		out := s.dockerOK("ps", "--filter", tc.filter, "--format", "{{.Names}}")
		if got := strings.TrimSpace(out); got != tc.want {
			t.Errorf("ps --filter %s: %q, want %q", tc.filter, got, tc.want)
		}
	}
	site := filepath.Join(t.TempDir(), "site")
	if err := os.MkdirAll(filepath.Join(site, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "index.html"), []byte("hello from berth\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.dockerOK("cp", site, "web:/www")
	s.dockerOK("cp", filepath.Join(site, "index.html"), "web:/index.html")
	if body := fetch(t, "http://127.0.0.1:"+hostPort+"/www/index.html"); body != "hello from berth\n" {
		t.Errorf("page through the published port: %q", body)
	}
	back := filepath.Join(t.TempDir(), "back")
	s.dockerOK("cp", "web:/www", back)
	if b, err := os.ReadFile(filepath.Join(back, "index.html")); err != nil || string(b) != "hello from berth\n" {
		t.Errorf("docker cp of a directory out of the container: %q %v", b, err)
	}
	if st, err := os.Stat(filepath.Join(back, "sub")); err != nil || !st.IsDir() {
		t.Errorf("docker cp out lost the subdirectory: %v", err)
	}
	file := filepath.Join(t.TempDir(), "page")
	s.dockerOK("cp", "web:/index.html", file)
	if b, err := os.ReadFile(file); err != nil || string(b) != "hello from berth\n" {
		t.Errorf("docker cp of a file out of the container: %q %v", b, err)
	}
	if out := s.dockerOK("diff", "web"); !strings.Contains(out, "A /www/index.html") || !strings.Contains(out, "A /index.html") {
		t.Errorf("docker diff: %q", out)
	}
	out, errOut, code := s.docker("", "export", "web")
	if code != 0 || !tarHas(strings.NewReader(out), "www/index.html") {
		t.Errorf("docker export: exit %d %s", code, errOut)
	}
	s.dockerOK("commit", "--change", `CMD ["cat", "/www/index.html"]`, "-m", "a page", "web", "paged:v1")
	if out := s.ok("image", "inspect", "--format", "{{json .Config.Cmd}}", "paged:v1"); strings.TrimSpace(out) != `["cat","/www/index.html"]` {
		t.Errorf("committed image's command: %q", out)
	}
	if out := s.ok("image", "history", "--format", "{{.Comment}}", "paged:v1"); !strings.HasPrefix(out, "a page\n") {
		t.Errorf("committed image's history: %q", out)
	}
	s.dockerOK("create", "--name", "child", "paged:v1")
	for _, tc := range []struct{ filter, want string }{
		{"ancestor=busybox", "child web"}, {"ancestor=paged:v1", "child"}, {"ancestor=nosuch", ""},
	} {
		out := s.dockerOK("ps", "-a", "--filter", tc.filter, "--format", "{{.Names}}")
		if got := strings.Join(strings.Fields(out), " "); got != tc.want {
			t.Errorf("ps -a --filter %s: %q, want %q", tc.filter, got, tc.want)
		}
	}
	s.dockerOK("rm", "child")
	s.dockerOK("rm", "-f", "web")
}

// TestServeContainersDockerPy: docker-py creates, runs, lists, gets, stops
// and removes containers.
func TestServeContainersDockerPy(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	out, errOut, code := s.python(`
import docker
c = docker.from_env()
a = c.containers.create("busybox", ["sleep", "1000"], name="pya", labels={"k": "v"}, mem_limit="64m")
b = c.containers.run("busybox", "sleep 1000", detach=True, name="pyb")
print(sorted(x.name for x in c.containers.list()), sorted(x.name for x in c.containers.list(all=True, filters={"label": "k=v"})))
g = c.containers.get("pyb")
print(g.status, g.attrs["Name"], c.containers.get("pya").attrs["HostConfig"]["Memory"])
g.stop(timeout=1)
g.reload()
w = g.wait()
print(g.status, w["StatusCode"], w["Error"])
a.remove()
g.remove()
print(len(c.containers.list(all=True)))
`)
	want := "['pyb'] ['pya']\nrunning /pyb 67108864\nexited 137 None\n0\n"
	if code != 0 || out != want {
		t.Errorf("docker-py: exit %d\n%s\nwant\n%s\nstderr: %s", code, out, want, errOut)
	}
}

// portOf reads the host port of `docker port` output ("0.0.0.0:32768").
func portOf(t *testing.T, out string) string {
	t.Helper()
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	i := strings.LastIndex(line, ":")
	if i < 0 {
		t.Fatalf("docker port: %q", out)
	}
	return line[i+1:]
}

// fetch GETs url, trying again while the server in the container starts.
func fetch(t *testing.T, url string) string {
	t.Helper()
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			last = err
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK {
			return string(b)
		}
		last = err
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

// tarHas says whether the tar on r has an entry named name.
func tarHas(r io.Reader, name string) bool {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err != nil {
			return false
		}
		if strings.TrimPrefix(hdr.Name, "./") == name {
			return true
		}
	}
}

// TestServeStopSignal: docker stop -s sends that signal instead of the
// container's stop signal (the container's trap decides its exit code), and
// docker restart -s does too before starting it again.
func TestServeStopSignal(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("run", "-d", "--name", "trap", "busybox", "sh", "-c", `trap "exit 7" USR1; while true; do sleep 0.1; done`)
	s.dockerOK("stop", "-s", "USR1", "-t", "100", "trap")
	if out := s.dockerOK("inspect", "--format", "{{.State.ExitCode}} {{.State.Running}}", "trap"); strings.TrimSpace(out) != "7 false" {
		t.Errorf("after stop -s USR1: %q", out)
	}
	s.dockerOK("start", "trap")
	s.dockerOK("restart", "-s", "USR1", "-t", "100", "trap")
	if out := s.dockerOK("inspect", "--format", "{{.State.Running}}", "trap"); strings.TrimSpace(out) != "true" {
		t.Errorf("after restart -s USR1: %q", out)
	}
	ev := s.ok("events", "--since", "1h", "--until", "0s", "--filter", "container=trap", "--filter", "event=die",
		"--format", "{{.Actor.Attributes.exitCode}}")
	if ev != "7\n7\n" {
		t.Errorf("exit codes of the two stops: %q", ev)
	}
	if _, errOut, code := s.docker("", "stop", "-s", "NOSUCH", "trap"); code == 0 || !strings.Contains(errOut, "NOSUCH") {
		t.Errorf("stop with a bad signal: exit %d %q", code, errOut)
	}
	s.dockerOK("rm", "-f", "trap")
}
