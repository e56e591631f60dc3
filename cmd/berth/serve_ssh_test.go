package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSSH puts on PATH an `ssh` that logs its arguments to a file and runs
// what follows the host — which must be `berth system dial-stdio`, or
// docker's `docker system dial-stdio`, as on a machine where docker is
// berth — on root with berth's binary here, as sshd would run it there. The
// transport is the only part that is not real: the test cannot start an
// sshd on a machine it must leave as it found it. With fail set, it says
// what ssh says of a host it cannot reach and exits 255.
func fakeSSH(t *testing.T, root string, fail bool) (argsLog string) {
	t.Helper()
	dir := t.TempDir()
	argsLog = filepath.Join(dir, "args")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" >> " + argsLog + "\necho --- >> " + argsLog + "\n"
	if fail {
		script += "echo 'ssh: connect to host box.example port 2222: Connection refused' >&2\nexit 255\n"
	} else {
		script += "while [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift; done\nshift 2\n" +
			"case \"$*\" in 'berth system dial-stdio'|'docker system dial-stdio') ;; *) echo \"bad remote command: $*\" >&2; exit 1;; esac\n" +
			"exec " + filepath.Join(binDir, "berth") + " --root " + root + " system dial-stdio\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return argsLog
}

// TestHostOverSSH: --host ssh://user@host:port drives berth on the other
// machine through `ssh -l user -p port -- host berth system dial-stdio`,
// one session per connection and no daemon there: an attached run with
// its output and exit code (its attach, start and wait are three sessions,
// three berth processes, and the start holds the process for the attach
// made in another), an exec with input, and ps; the docker CLI's -H ssh://
// does the same; a host ssh cannot reach is one line naming ssh's reason.
func TestHostOverSSH(t *testing.T) {
	s := newCLI(t)
	argsLog := fakeSSH(t, s.root, false)
	host := "ssh://ops@box.example:2222"
	if out := s.ok("--host", host, "run", "--rm", "busybox", "echo", "over-ssh"); out != "over-ssh\n" {
		t.Errorf("run over ssh: %q", out)
	}
	if _, _, code := s.run("", "--host", host, "run", "--rm", "busybox", "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("run over ssh of exit 7: exit %d", code)
	}
	s.ok("--host", host, "run", "-d", "--name", "sshbox", "busybox", "sleep", "100")
	if out, errOut, code := s.run("ping\n", "--host", host, "exec", "-i", "sshbox", "cat"); out != "ping\n" || code != 0 {
		t.Errorf("exec -i over ssh: %q %q exit %d", out, errOut, code)
	}
	if out := s.ok("--host", host, "ps", "--format", "{{.Names}}"); out != "sshbox\n" {
		t.Errorf("ps over ssh: %q", out)
	}
	s.ok("--host", host, "rm", "-f", "sshbox")
	if docker, err := exec.LookPath("docker"); err == nil {
		cmd := exec.Command(docker, "-H", "ssh://box.example", "run", "--rm", "busybox", "sh", "-c", "echo from-docker; exit 3")
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
		out, err := cmd.Output()
		if code := cmd.ProcessState.ExitCode(); string(out) != "from-docker\n" || code != 3 {
			t.Errorf("docker -H ssh:// run: %q exit %d (%v)", out, code, err)
		}
	} else {
		t.Log("no docker CLI here: docker -H ssh:// not tried")
	}
	if out := s.ok("ps", "-aq"); out != "" {
		t.Errorf("the --rm runs left %q", out)
	}
	b, err := os.ReadFile(argsLog)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "---\n")
	if want := "-T\n-o\nConnectTimeout=30\n-l\nops\n-p\n2222\n--\nbox.example\nberth\nsystem\ndial-stdio\n"; first != want {
		t.Errorf("ssh ran with\n%s\nwant\n%s", first, want)
	}

	fakeSSH(t, s.root, true)
	_, errOut, code := s.run("", "--host", "ssh://box.example:2222", "ps")
	if want := "berth: cannot reach berth over ssh://box.example:2222: ssh: connect to host box.example port 2222: Connection refused\n"; code == 0 || errOut != want {
		t.Errorf("an unreachable ssh host: exit %d %q, want %q", code, errOut, want)
	}
	for _, bad := range []string{"ssh://", "ssh://box/some/path", "ssh://box:0", "ssh://box:22x", "ssh://u:pw@box", "ssh://-oProxyCommand=x"} {
		if _, errOut, code := s.run("", "--host", bad, "ps"); code == 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, bad) {
			t.Errorf("--host %s: exit %d %q", bad, code, errOut)
		}
	}
}
