package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRmiUsedImageWords checks rmi of an image a container uses, through
// the docker CLI and berth's own, word for word against dockerd 20.10: by ID
// a running user "cannot be forced" (even with -f) and a stopped one "must
// be forced", each named by its short ID; by its only tag, -f untags.
func TestRmiUsedImageWords(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	id := strings.TrimSpace(s.ok("images", "-q", "busybox"))
	run := strings.TrimSpace(s.ok("run", "-d", "--network", "none", "busybox", "sleep", "1000"))[:12]
	running := "conflict: unable to delete " + id + " (cannot be forced) - image is being used by running container " + run
	byTag := `conflict: unable to remove repository reference "busybox" (must force) - container ` + run + " is using its referenced image " + id
	for _, args := range [][]string{{"rmi", id}, {"rmi", "-f", id}, {"rmi", "busybox"}} {
		want := running
		if args[len(args)-1] == "busybox" {
			want = byTag
		}
		if _, errOut, code := s.docker("", args...); code != 1 || errOut != "Error response from daemon: "+want+"\n" {
			t.Errorf("docker %v: exit %d, %q\nwant exit 1, %q", args, code, errOut, want)
		}
		if _, errOut, code := s.run("", args...); code != 1 || errOut != "berth: "+want+"\n" {
			t.Errorf("berth %v: exit %d, %q\nwant exit 1, %q", args, code, errOut, want)
		}
	}
	s.ok("rm", "-f", run)
	stopped := strings.TrimSpace(s.ok("create", "--network", "none", "busybox", "true"))[:12]
	want := "conflict: unable to delete " + id + " (must be forced) - image is being used by stopped container " + stopped
	if _, errOut, code := s.docker("", "rmi", id); code != 1 || errOut != "Error response from daemon: "+want+"\n" {
		t.Errorf("docker rmi %s: exit %d, %q\nwant exit 1, %q", id, code, errOut, want)
	}
	if _, errOut, code := s.run("", "rmi", id); code != 1 || errOut != "berth: "+want+"\n" {
		t.Errorf("berth rmi %s: exit %d, %q\nwant exit 1, %q", id, code, errOut, want)
	}
	if out := s.dockerOK("rmi", "-f", "busybox"); out != "Untagged: busybox:latest\n" {
		t.Errorf("docker rmi -f busybox with a stopped user: %q", out)
	}
	s.ok("rm", stopped)
}

// TestGroupAddUnknownWords checks --group-add with a name the container's
// /etc/group lacks: create succeeds, run fails (exit 125) with dockerd
// 20.10's capitalised words, through the docker CLI and berth's own.
func TestGroupAddUnknownWords(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	const want = "Unable to find group nosuch: no matching entries in group file"
	_, errOut, code := s.docker("", "run", "--rm", "--network", "none", "--group-add", "nosuch", "busybox", "id")
	if code != 125 || !strings.HasPrefix(errOut, "docker: Error response from daemon: "+want+"\n") {
		t.Errorf("docker run --group-add nosuch: exit %d %q, want 125 and %q", code, errOut, want)
	}
	_, errOut, code = s.run("", "run", "--rm", "--network", "none", "--group-add", "nosuch", "busybox", "id")
	if code != 125 || errOut != "berth: "+want+"\n" {
		t.Errorf("berth run --group-add nosuch: exit %d %q, want 125 and %q", code, errOut, want)
	}
	// berth's parser (the TUI form's too) refuses what no /etc/group holds.
	if _, errOut, code := s.run("", "create", "--group-add", "a:b", "busybox"); code != 125 || errOut != "berth: invalid --group-add \"a:b\": not a group name or GID\n" {
		t.Errorf("berth create --group-add a:b: exit %d %q", code, errOut)
	}
	id := strings.TrimSpace(s.dockerOK("create", "--network", "none", "--group-add", "nosuch", "busybox", "id"))
	if _, errOut, code := s.docker("", "start", id); code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("docker start with --group-add nosuch: exit %d %q", code, errOut)
	}
	s.ok("rm", id)
}

// TestExecNotFoundWords checks an exec whose command cannot start: dockerd
// 20.10 exits 126 for every such failure (missing, not executable, no such
// path), through the docker CLI and berth's own exec alike.
func TestExecNotFoundWords(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.ok("run", "-d", "--name", "ex", "--network", "none", "busybox", "sleep", "1000")
	for _, tc := range []struct{ cmd, text string }{
		{"no-such-command", `exec: "no-such-command": executable file not found in $PATH`},
		{"/nonexistent/x", `exec: "/nonexistent/x": stat /nonexistent/x: no such file or directory`},
		{"/etc/passwd", `exec: "/etc/passwd": permission denied`},
	} {
		want := "exec failed: unable to start container process: " + tc.text
		// dockerd writes the error on the exec's stdout stream.
		out, _, code := s.docker("", "exec", "ex", tc.cmd)
		if dk := "OCI runtime exec failed: " + want + ": unknown\r\n"; code != 126 || out != dk {
			t.Errorf("docker exec ex %s: exit %d %q, want 126 and %q", tc.cmd, code, out, dk)
		}
		_, errOut, code := s.run("", "exec", "ex", tc.cmd)
		if code != 126 || errOut != "berth: "+want+"\n" {
			t.Errorf("berth exec ex %s: exit %d %q, want 126 and %q", tc.cmd, code, errOut, want)
		}
		// Detached, dockerd answers the start with a 400 in the same words.
		dk := "Error response from daemon: OCI runtime exec failed: " + want + ": unknown\n"
		if _, errOut, code := s.docker("", "exec", "-d", "ex", tc.cmd); code != 1 || errOut != dk {
			t.Errorf("docker exec -d ex %s: exit %d %q, want 1 and %q", tc.cmd, code, errOut, dk)
		}
	}
	code, body := s.imgAPI("POST", "/v1.41/containers/ex/exec", "application/json", strings.NewReader(`{"Cmd":["nosuch"]}`))
	var created struct{ Id string }
	if err := json.Unmarshal([]byte(body), &created); code != 201 || err != nil {
		t.Fatalf("exec create: %d %s", code, body)
	}
	code, body = s.imgAPI("POST", "/v1.41/exec/"+created.Id+"/start", "application/json", strings.NewReader(`{"Detach":true}`))
	if code != 400 || !strings.Contains(body, `OCI runtime exec failed: exec failed: unable to start container process: exec: \"nosuch\"`) {
		t.Errorf("detached exec start of a missing command: %d %s, want 400", code, body)
	}
	if code, body = s.imgAPI("GET", "/v1.41/exec/"+created.Id+"/json", "", nil); code != 200 || !strings.Contains(body, `"ExitCode":126`) {
		t.Errorf("exec inspect after the failed start: %d %s, want ExitCode 126", code, body)
	}
	s.ok("rm", "-f", "ex")
}

// TestBuildWithoutPathWords checks berth build without PATH (or with two):
// exit 1 and the docker CLI 28's words ("'docker build' requires 1
// argument", its usage, where to find help), as DOCKER_BUILDKIT=0 docker
// build gives them.
func TestBuildWithoutPathWords(t *testing.T) {
	c := newCLI(t)
	want := "berth: 'berth build' requires 1 argument\n\nUsage:  berth build [OPTIONS] PATH|-\n\nRun 'berth build --help' for more information\n"
	for _, args := range [][]string{{"build"}, {"build", "a", "b"}} {
		out, errOut, code := c.run("", args...)
		if code != 1 || out != "" || errOut != want {
			t.Errorf("berth %v: exit %d, %q %q; want exit 1 and %q", args, code, out, errOut, want)
		}
	}
}

// TestTopStatWords checks docker top's STAT column against dockerd's (which
// runs ps on the host): a container's init is a session leader (s), and
// with -t it is in its terminal's foreground process group (+).
func TestTopStatWords(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.ok("run", "-d", "-t", "--name", "tty", "--network", "none", "busybox", "sh")
	s.ok("run", "-d", "--name", "notty", "--network", "none", "busybox", "sleep", "1000")
	for _, tc := range []struct{ name, stat string }{{"tty", "Ss+"}, {"notty", "Ss"}} {
		out := s.dockerOK("top", tc.name, "-o", "pid,stat,comm")
		rows := strings.Split(strings.TrimSpace(out), "\n")
		if f := strings.Fields(rows[len(rows)-1]); len(rows) != 2 || len(f) != 3 || f[1] != tc.stat {
			t.Errorf("docker top %s -o pid,stat,comm: %q, want STAT %s", tc.name, out, tc.stat)
		}
		out = s.ok("top", tc.name, "aux")
		if f := strings.Fields(strings.Split(strings.TrimSpace(out), "\n")[1]); len(f) < 8 || f[7] != tc.stat {
			t.Errorf("berth top %s aux: %q, want STAT %s", tc.name, out, tc.stat)
		}
	}
	s.ok("rm", "-f", "tty", "notty")
}

// TestVolumeCreateOptionsWords checks volume create's driver and options
// against dockerd 20.10's local driver: an unknown option is an "invalid
// option" (400), another driver a plugin not found (404), a mount without
// its type or device a "missing required option" (400); nothing is created
// by a refusal.
func TestVolumeCreateOptionsWords(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "foo=bar", "v2"}, `create v2: invalid option: "foo"`},
		{[]string{"-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=10m", "-o", "zz=1", "v2"}, `create v2: invalid option: "zz"`},
		{[]string{"--driver", "other", "v3"}, `create v3: volume plugin "other" not found`},
		{[]string{"-o", "type=tmpfs", "-o", "o=size=10m", "v1"}, `create v1: missing required option: "device"`},
		{[]string{"-o", "o=bind", "-o", "device=/srv", "v4"}, `create v4: missing required option: "type"`},
	} {
		args := append([]string{"volume", "create"}, tc.args...)
		if _, errOut, code := s.docker("", args...); code != 1 || errOut != "Error response from daemon: "+tc.want+"\n" {
			t.Errorf("docker %v: exit %d %q, want %q", args, code, errOut, tc.want)
		}
		if _, errOut, code := s.run("", args...); code != 125 || errOut != "berth: "+tc.want+"\n" {
			t.Errorf("berth %v: exit %d %q, want %q", args, code, errOut, tc.want)
		}
	}
	code, body := s.volAPI(`{"Name":"v2","DriverOpts":{"foo":"bar"}}`)
	if code != 400 || body != `{"message":"create v2: invalid option: \"foo\""}` {
		t.Errorf("POST /volumes/create foo=bar: %d %s", code, body)
	}
	if code, body = s.volAPI(`{"Name":"v3","Driver":"other"}`); code != 404 {
		t.Errorf("POST /volumes/create Driver other: %d %s, want 404", code, body)
	}
	if code, body = s.volAPI(`{"Name":"v1","DriverOpts":{"type":"tmpfs"}}`); code != 400 {
		t.Errorf("POST /volumes/create type=tmpfs without device: %d %s, want 400", code, body)
	}
	if out := s.ok("volume", "ls", "-q"); out != "" {
		t.Errorf("volumes left by refused creates: %q", out)
	}
}

// volAPI posts body to /volumes/create on the server and returns the
// status and the body answered.
func (s *served) volAPI(body string) (int, string) {
	s.t.Helper()
	code, resp := s.imgAPI("POST", "/v1.41/volumes/create", "application/json", strings.NewReader(body))
	return code, strings.TrimSpace(resp)
}
