package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// perConnection answers each connection to a socket with a fresh `berth
// system dial-stdio` on root, as `docker -H ssh://host` does through ssh:
// no `berth serve` runs, and every connection is another berth process. It
// returns a served whose DOCKER_HOST is that socket.
func perConnection(t *testing.T) *served {
	t.Helper()
	requireDockerCLI(t)
	c := newCLI(t)
	sock := filepath.Join(c.root, "ssh.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var cmds []*exec.Cmd
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			f, _ := conn.(*net.UnixConn).File()
			conn.Close()
			cmd := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "system", "dial-stdio")
			cmd.Stdin, cmd.Stdout = f, f
			if err := cmd.Start(); err != nil {
				f.Close()
				continue
			}
			f.Close()
			mu.Lock()
			cmds = append(cmds, cmd)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); cmd.Wait() }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, cmd := range cmds {
			cmd.Process.Kill()
		}
		mu.Unlock()
		wg.Wait()
	})
	return &served{cli: c, sock: sock, env: append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+t.TempDir())}
}

// TestExecAcrossDialStdioProcesses: docker exec's create, start and inspect
// reach three different berth processes when each connection is its own
// dial-stdio (docker over ssh, no daemon): the output, the exit code and a
// detached exec still work, because exec instances are the engine's, kept
// in its run root.
func TestExecAcrossDialStdioProcesses(t *testing.T) {
	s := perConnection(t)
	s.dockerOK("run", "-d", "--name", "dx", "busybox", "sleep", "1000")
	if out := s.dockerOK("exec", "dx", "echo", "across"); out != "across\n" {
		t.Errorf("exec output %q", out)
	}
	out, errOut, code := s.docker("", "exec", "dx", "sh", "-c", "echo out; echo err >&2; exit 3")
	if code != 3 || out != "out\n" || errOut != "err\n" {
		t.Errorf("exec exit %d, out %q, err %q; want 3, out, err", code, out, errOut)
	}
	s.dockerOK("exec", "-d", "dx", "sh", "-c", "echo detached > /tmp/d")
	if out := s.dockerOK("exec", "dx", "sh", "-c", "until [ -s /tmp/d ]; do sleep 0.1; done; cat /tmp/d"); out != "detached\n" {
		t.Errorf("the detached exec wrote %q", out)
	}
	if out, errOut, code := s.docker("", "exec", "dx", "no-such-program"); code == 0 || !strings.Contains(errOut+out, "no-such-program") {
		t.Errorf("exec of a missing program: exit %d %q %q", code, out, errOut)
	}
	s.dockerOK("rm", "-f", "dx")
}
