package main

import (
	"berth/engine"
	"berth/engine/client"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// served is a data root with `berth serve` answering the Docker Engine API
// on a private socket, and real Docker clients pointed at it.
type served struct {
	*cli
	sock string
	env  []string // DOCKER_HOST and a private DOCKER_CONFIG
}

// newServed starts `berth serve` on a socket in a fresh data root (busybox
// bootstrapped) and stops it when the test ends.
func newServed(t *testing.T) *served {
	t.Helper()
	c := newCLI(t)
	sock := filepath.Join(c.root, "api.sock")
	cmd := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "serve", "-H", "unix://"+sock)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start berth serve: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("berth serve did not stop on SIGTERM")
		}
		if t.Failed() {
			t.Logf("berth serve's log:\n%s", logs.String())
		}
	})
	for i := 0; ; i++ {
		if conn, err := net.Dial("unix", sock); err == nil {
			conn.Close()
			break
		}
		select {
		case <-done:
			t.Fatalf("berth serve exited: %s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return &served{cli: c, sock: sock, env: append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+t.TempDir())}
}

// requireDockerCLI skips the test when the docker CLI is not on PATH.
func requireDockerCLI(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("the docker CLI is not installed: skipping the Docker Engine API test with it")
	}
}

// docker runs the docker CLI against the server and returns stdout, stderr
// and the exit code; it fails the test if docker hangs for two minutes.
func (s *served) docker(stdin string, args ...string) (string, string, int) {
	s.t.Helper()
	return s.runTool(stdin, "docker", args...)
}

// dockerOK runs docker and fails the test unless it exits 0.
func (s *served) dockerOK(args ...string) string {
	s.t.Helper()
	out, errOut, code := s.docker("", args...)
	if code != 0 {
		s.t.Fatalf("docker %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// python runs a python3 script with docker-py pointed at the server.
func (s *served) python(script string) (string, string, int) {
	s.t.Helper()
	requireDockerPy(s.t)
	return s.runTool("", "python3", "-c", script)
}

func (s *served) runTool(stdin, name string, args ...string) (string, string, int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("%s %v: %v", name, args, err)
	}
	if ctx.Err() != nil {
		s.t.Fatalf("%s %s hung for two minutes", name, strings.Join(args, " "))
	}
	return out.String(), errb.String(), code
}

// requireDockerPy installs Debian's python3-docker when `import docker`
// fails, and skips the test only if that fails too.
func requireDockerPy(t *testing.T) {
	t.Helper()
	if exec.Command("python3", "-c", "import docker").Run() == nil {
		return
	}
	install := func() error {
		cmd := exec.Command("apt-get", "install", "-y", "-q", "python3-docker")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.Run()
	}
	if install() != nil {
		exec.Command("apt-get", "update", "-q").Run()
		install()
	}
	if exec.Command("python3", "-c", "import docker").Run() != nil {
		t.Skip("docker-py (python3-docker) is not installed and could not be: skipping")
	}
}

// TestServeVersionAndInfo: the docker CLI negotiates a version with berth
// serve and reads its version and info; the socket is 0660 root's.
func TestServeVersionAndInfo(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	out := s.dockerOK("version", "--format", "{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Client.APIVersion}}")
	f := strings.Fields(out)
	if len(f) != 3 || f[1] != "1.24" {
		t.Fatalf("docker version: %q", out)
	}
	if out := s.dockerOK("info", "--format", "{{.Images}} {{.Driver}}"); strings.TrimSpace(out) != "1 overlay2" {
		t.Errorf("docker info: %q", out)
	}
	st, err := os.Stat(s.sock)
	if err != nil || st.Mode().Perm() != 0o660 {
		t.Errorf("socket mode: %v %v", st.Mode(), err)
	}
	out, _, _ = s.python(`import docker; c=docker.from_env(); print(c.ping(), c.version()["ApiVersion"])`)
	if !strings.HasPrefix(out, "True ") {
		t.Errorf("docker-py ping: %q", out)
	}
}

// TestDialStdio: `berth system dial-stdio` answers the API on its standard
// streams (what `ssh host berth system dial-stdio` carries), several
// requests on one connection, and exits when its input closes.
func TestDialStdio(t *testing.T) {
	c := newCLI(t)
	cmd := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "system", "dial-stdio")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	for _, path := range []string{"/_ping", "/v1.44/version", "/info"} {
		fmt.Fprintf(in, "GET %s HTTP/1.1\r\nHost: berth\r\n\r\n", path)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("GET %s: %v (%s)", path, err, errb.String())
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Api-Version") == "" || len(body) == 0 {
			t.Errorf("GET %s: %d %q %s", path, resp.StatusCode, resp.Header.Get("Api-Version"), body)
		}
	}
	in.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dial-stdio exited: %v (%s)", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Errorf("dial-stdio did not exit when its input closed")
	}
}

// TestHostFlagDrivesAnEngineOverTheAPI: with --host (or BERTH_HOST), berth's
// own verbs drive the engine behind a Docker Engine API socket through the
// remote client (engine/client): what they do is seen by the local CLI on
// the same root, and verbs that are about the local machine refuse.
func TestHostFlagDrivesAnEngineOverTheAPI(t *testing.T) {
	s := newServed(t)
	host := "unix://" + s.sock
	if out := s.ok("--host", host, "run", "-d", "--name", "remote1", "busybox", "sh", "-c", "echo hello; sleep 100"); len(strings.TrimSpace(out)) != 64 {
		t.Fatalf("run -d over --host: %q", out)
	}
	if out := s.ok("ps", "--format", "{{.Names}} {{.State}}"); strings.TrimSpace(out) != "remote1 running" {
		t.Errorf("the local CLI sees %q", out)
	}
	// run -d returns once the process is started, maybe before its echo ran:
	// wait (bounded) for the line to be logged.
	for i := 0; i < 100 && s.ok("logs", "remote1") == ""; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "remote1"}, "hello\n"},
		{[]string{"exec", "remote1", "echo", "exec-ok"}, "exec-ok\n"},
		{[]string{"inspect", "-f", "{{.State.Status}}", "remote1"}, "running\n"},
		{[]string{"run", "--rm", "busybox", "echo", "run-ok"}, "run-ok\n"},
	} {
		if out := s.ok(append([]string{"--host", host}, c.args...)...); out != c.want {
			t.Errorf("berth --host %s: %q, want %q", strings.Join(c.args, " "), out, c.want)
		}
	}
	if _, errOut, code := s.run("", "--host", host, "system", "boot"); code == 0 || !strings.Contains(errOut, "local engine") {
		t.Errorf("system boot over --host: exit %d %q", code, errOut)
	}
	s.ok("--host", host, "rm", "-f", "remote1")
	if out := s.ok("ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Errorf("rm over --host left %q", out)
	}
	if _, errOut, code := s.run("", "--host", "unix:///nonexistent/berth.sock", "ps"); code == 0 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("an unreachable host: exit %d %q", code, errOut)
	}
}

// procConn is a net.Conn over a `berth system dial-stdio` process: what an
// ssh connection helper gives the remote client.
type procConn struct {
	net.Conn
	cmd *exec.Cmd
}

func (p *procConn) Close() error {
	err := p.Conn.Close()
	p.cmd.Wait()
	return err
}

// TestDialStdioDrivesTheRemoteClient: the remote client (engine/client)
// over `berth system dial-stdio` processes, one per connection as over
// ssh, with berth serve on the root (dial-stdio carries the bytes to it, so
// an exec's create and hijacked start, two connections, meet), runs a
// container and an exec with stdin that returns once its process exits.
func TestDialStdioDrivesTheRemoteClient(t *testing.T) {
	c := newCLI(t)
	dial := func(ctx context.Context) (net.Conn, error) {
		mine, theirs, err := socketPair()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "system", "dial-stdio")
		cmd.Stdin, cmd.Stdout = theirs, theirs
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		theirs.Close()
		return &procConn{Conn: mine, cmd: cmd}, nil
	}
	// An exec spans two connections (create, then a hijacked start): with
	// berth serve on the root, dial-stdio carries each to it.
	serve := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "serve")
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Signal(syscall.SIGTERM); serve.Wait() }()
	for i := 0; i < 600; i++ {
		if conn, err := net.Dial("unix", filepath.Join(c.root, "run", "docker.sock")); err == nil {
			conn.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := client.NewDial(ctx, dial)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctr, err := cl.Create(ctx, engine.CreateOptions{Name: "overstdio", Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "100"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Start(ctx, ctr.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code, err := cl.Exec(ctx, ctr.ID, engine.ExecOptions{Cmd: []string{"sh", "-c", "read line; echo got $line; exit 4"}, Interactive: true},
		engine.IO{Stdin: strings.NewReader("hello\n"), Stdout: &out, Stderr: &out})
	if err != nil || code != 4 || out.String() != "got hello\n" {
		t.Errorf("exec -i over dial-stdio: code %d err %v out %q", code, err, out.String())
	}
	if err := cl.Remove(ctx, ctr.ID, engine.RemoveOptions{Force: true}); err != nil {
		t.Error(err)
	}
}

// socketPair returns the two ends of a unix stream socket pair, one as a
// net.Conn and the other as a file a child process can take.
func socketPair() (net.Conn, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	f0 := os.NewFile(uintptr(fds[0]), "mine")
	defer f0.Close()
	conn, err := net.FileConn(f0)
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, err
	}
	return conn, os.NewFile(uintptr(fds[1]), "theirs"), nil
}
