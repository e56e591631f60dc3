package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// background starts docker with args against the server; wait returns
// its exit code once it ends (the test fails if it hangs two minutes).
func (s *served) background(stdout *syncBuffer, args ...string) (wait func() int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, stdout, stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	return func() int {
		defer cancel()
		cmd.Wait()
		if ctx.Err() != nil {
			s.t.Fatalf("docker %v hung", args)
		}
		return cmd.ProcessState.ExitCode()
	}
}

// until polls cond (every 50 ms, at most a minute).
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// TestServeLogs: docker logs with its streams apart, --tail, -t, --since,
// --until and -f (which ends when the container does).
func TestServeLogs(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.ok("run", "-d", "--name", "lg", "busybox", "sh", "-c", "echo a; echo b >&2; echo c; sleep 1000")
	until(t, "the log", func() bool { out, _, _ := s.docker("", "logs", "lg"); return out == "a\nc\n" })
	out, errOut, code := s.docker("", "logs", "lg")
	if out != "a\nc\n" || errOut != "b\n" || code != 0 {
		t.Errorf("docker logs: %q %q %d", out, errOut, code)
	}
	if out, errOut, _ := s.docker("", "logs", "--tail", "2", "lg"); out != "c\n" || errOut != "b\n" {
		t.Errorf("--tail 2: %q %q", out, errOut)
	}
	out = s.dockerOK("logs", "-t", "--tail", "1", "lg")
	ts := regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) c\n$`).FindStringSubmatch(out)
	if ts == nil {
		t.Fatalf("-t: %q", out)
	}
	berthTS := s.ok("logs", "-t", "--tail", "1", "lg")
	if !strings.Contains(berthTS, ts[1][:19]) {
		t.Errorf("-t: docker says %s, berth %q", ts[1], berthTS)
	}
	if out, errOut, _ := s.docker("", "logs", "--since", "2100-01-01T00:00:00Z", "lg"); out+errOut != "" {
		t.Errorf("--since in the future: %q %q", out, errOut)
	}
	if out, errOut, _ := s.docker("", "logs", "--until", "2000-01-01T00:00:00Z", "lg"); out+errOut != "" {
		t.Errorf("--until in the past: %q %q", out, errOut)
	}
	if out := s.dockerOK("logs", "--since", ts[1], "lg"); out != "c\n" {
		t.Errorf("--since the last line's time: %q", out)
	}
	if _, errOut, code := s.docker("", "logs", "nosuch"); code == 0 || !strings.Contains(strings.ToLower(errOut), "no such container: nosuch") {
		t.Errorf("logs of an unknown container: %d %q", code, errOut)
	}

	s.ok("run", "-d", "--name", "fl", "busybox", "sh", "-c", "echo start; until [ -f /go ]; do sleep 0.05; done; echo after")
	var follow syncBuffer
	wait := s.background(&follow, "logs", "-f", "fl")
	until(t, "logs -f to show the first line", func() bool { return follow.String() == "start\n" })
	s.ok("exec", "fl", "touch", "/go")
	if code := wait(); code != 0 || follow.String() != "start\nafter\n" {
		t.Errorf("logs -f: exit %d, %q", code, follow.String())
	}
}

// TestServeExec: docker exec's output, exit codes and stdin; -it through a
// terminal (its size and a resize).
func TestServeExec(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.ok("run", "-d", "--name", "box", "busybox", "sleep", "1000")
	if out, errOut, code := s.docker("", "exec", "box", "sh", "-c", "echo out; echo err >&2; exit 3"); out != "out\n" || errOut != "err\n" || code != 3 {
		t.Errorf("exec: %q %q exit %d", out, errOut, code)
	}
	if out, _, code := s.docker("one\ntwo\n", "exec", "-i", "box", "sh", "-c", "cat; echo done"); out != "one\ntwo\ndone\n" || code != 0 {
		t.Errorf("exec -i: %q exit %d", out, code)
	}
	if out, _, code := s.docker("ignored\n", "exec", "box", "cat"); out != "" || code != 0 {
		t.Errorf("exec without -i reads no stdin: %q exit %d", out, code)
	}
	if out, _, code := s.docker("", "exec", "-e", "X=1", "-w", "/tmp", "-u", "nobody", "box", "sh", "-c", "echo $X $PWD $(id -u)"); out != "1 /tmp 65534\n" || code != 0 {
		t.Errorf("exec -e -w -u: %q exit %d", out, code)
	}
	// dockerd 20.10 gives every exec that cannot start exit code 126.
	if out, errOut, code := s.docker("", "exec", "box", "nosuch"); code != 126 || !strings.Contains(out+errOut, "executable file not found") {
		t.Errorf("exec of a missing command: %q %q exit %d", out, errOut, code)
	}
	if _, errOut, code := s.docker("", "exec", "-d", "box", "sh", "-c", "echo detached > /d"); code != 0 || errOut != "" {
		t.Errorf("exec -d: %q exit %d", errOut, code)
	}
	until(t, "the detached exec", func() bool { out, _, _ := s.run("", "exec", "box", "cat", "/d"); return out == "detached\n" })
	s.ok("stop", "-t", "1", "box")
	if _, errOut, code := s.docker("", "exec", "box", "true"); code == 0 || !strings.Contains(errOut, "is not running") {
		t.Errorf("exec in a stopped container: %q exit %d", errOut, code)
	}

	s.ok("start", "box")
	exitFile := filepath.Join(t.TempDir(), "exit")
	tm := newTmux(t, 90, 25, "sh -c '"+s.dockerEnv()+" docker exec -it box sh; echo $? > "+exitFile+"'")
	tm.waitFor("/ #")
	tm.send("tty; stty size", "Enter")
	tm.waitFor("/dev/pts/0")
	tm.waitFor("25 90")
	exec.Command("tmux", "resize-window", "-t", tm.session, "-x", "110", "-y", "35").Run()
	tm.sendUntil("stty size", "35 110")
	tm.send("exit 4", "Enter")
	if got := waitFile(t, exitFile); got != "4" {
		t.Errorf("exec -it exit code: %q", got)
	}
}

// dockerEnv is the environment prefix for docker in a shell command line.
func (s *served) dockerEnv() string {
	var env []string
	for _, kv := range s.env {
		if strings.HasPrefix(kv, "DOCKER_") {
			env = append(env, kv)
		}
	}
	return strings.Join(env, " ")
}

// TestServeRunAttach: docker run in the foreground (create, attach, start,
// wait), with stdin, with a terminal; docker attach and its detach keys.
func TestServeRunAttach(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	if out, _, code := s.docker("", "run", "--rm", "busybox", "echo", "hi"); out != "hi\n" || code != 0 {
		t.Errorf("run --rm echo hi: %q exit %d", out, code)
	}
	if out, _, code := s.docker("x\ny\n", "run", "-i", "--rm", "busybox", "cat"); out != "x\ny\n" || code != 0 {
		t.Errorf("run -i cat: %q exit %d", out, code)
	}
	if out, errOut, code := s.docker("", "run", "--name", "four", "busybox", "sh", "-c", "echo o; echo e >&2; exit 4"); out != "o\n" || errOut != "e\n" || code != 4 {
		t.Errorf("run exit 4: %q %q exit %d", out, errOut, code)
	}
	if out, _, code := s.docker("", "start", "-a", "four"); out != "o\n" || code != 4 {
		t.Errorf("start -a: %q exit %d", out, code)
	}

	// Without a TTY, ctrl+p ctrl+q are data (a piped tar holds them), as
	// in Docker: they reach the process of run -i and of exec -i.
	if out, _, code := s.docker("a\x10\x11b\n", "run", "-i", "--rm", "busybox", "od", "-An", "-c"); strings.Join(strings.Fields(out), " ") != `a 020 021 b \n` || code != 0 {
		t.Errorf("run -i with the detach keys in its input: %q exit %d", out, code)
	}
	s.ok("run", "-d", "--name", "ex", "busybox", "sleep", "1000")
	if out, _, code := s.docker("a\x10\x11b\n", "exec", "-i", "ex", "od", "-An", "-c"); strings.Join(strings.Fields(out), " ") != `a 020 021 b \n` || code != 0 {
		t.Errorf("exec -i with the detach keys in its input: %q exit %d", out, code)
	}
	// A user the image lacks: the exec does not start, exit 126 (docker's
	// CLI read the exit code of an exec instance that had none: 0).
	if out, errOut, code := s.docker("", "exec", "-u", "nosuchuser", "ex", "id"); code != 126 || !strings.Contains(out+errOut, "unable to find user nosuchuser") {
		t.Errorf("docker exec -u nosuchuser: exit %d %q %q", code, out, errOut)
	}
	if _, errOut, code := s.run("", "exec", "-u", "nosuchuser", "ex", "id"); code != 126 || errOut != "berth: exec failed: unable to find user nosuchuser: no matching entries in passwd file\n" {
		t.Errorf("berth exec -u nosuchuser: exit %d %q", code, errOut)
	}
	// The input of run -i (StdinOnce) ends with its client, killed or not.
	client := exec.Command("docker", "run", "-i", "--name", "once", "busybox", "cat")
	client.Env = append(os.Environ(), s.env...)
	in, _ := client.StdinPipe()
	defer in.Close()
	outPipe, _ := client.StdoutPipe()
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("through\n")) // the session is in place once cat's echo is back
	if line, err := bufio.NewReader(outPipe).ReadString('\n'); line != "through\n" {
		t.Fatalf("run -i cat echoed %q, %v", line, err)
	}
	client.Process.Kill()
	client.Wait()
	if out, _, code := s.run("", "wait", "once"); out != "0\n" || code != 0 {
		t.Errorf("wait for run -i's container once its client was killed: %q exit %d", out, code)
	}

	// Attach without a TTY: the container waits for a line on stdin.
	s.ok("run", "-d", "-i", "--name", "rd", "busybox", "sh", "-c", "read l; echo got:$l")
	if out, _, code := s.docker("hello\n", "attach", "rd"); out != "got:hello\n" || code != 0 {
		t.Errorf("attach with stdin: %q exit %d", out, code)
	}

	exitFile := filepath.Join(t.TempDir(), "exit")
	tm := newTmux(t, 100, 30, "sh -c '"+s.dockerEnv()+" docker run -it --name tty busybox sh; echo $? > "+exitFile+"'")
	tm.waitFor("/ #")
	tm.send("stty size", "Enter")
	tm.waitFor("30 100")
	tm.send("exit 7", "Enter")
	if got := waitFile(t, exitFile); got != "7" {
		t.Errorf("run -it exit code: %q", got)
	}

	s.ok("run", "-dit", "--name", "sh", "busybox", "sh")
	tm2 := newTmux(t, 100, 30, "sh -c '"+s.dockerEnv()+" docker attach sh; echo detached $?; sleep 600'")
	tm2.sendUntil("echo hello-$((6*7))", "hello-42")
	tm2.send("C-p", "C-q")
	tm2.waitFor("detached")
	if !s.running("sh") {
		t.Errorf("the container stopped when its client detached")
	}
}

// TestServeStatsAndPy: docker stats --no-stream, and docker-py's logs,
// exec_run, attach and stats(stream=False), whose counters the kernel's,
// read before and after, bracket.
func TestServeStatsAndPy(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.ok("run", "-d", "--name", "spin", "busybox", "sh", "-c", "echo ready; while :; do :; done")
	s.ok("run", "-d", "--name", "late", "busybox", "sh", "-c", "until [ -f /go ]; do sleep 0.05; done; echo late-out")
	out := s.dockerOK("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}", "spin")
	m := regexp.MustCompile(`^spin (\d+\.\d\d)% [\d.]+(B|KiB|MiB) / [\d.]+GiB 1\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("docker stats --no-stream: %q", out)
	}
	if cpu, _ := strconv.ParseFloat(m[1], 64); cpu <= 0 {
		t.Errorf("a busy container reads %v%% CPU", cpu)
	}
	id := strings.TrimSpace(s.ok("inspect", "-f", "{{.Id}}", "spin"))
	cpuBefore, sysBefore := cgroupCPU(t, id), hostCPU(t)
	py, errOut, code := s.python(`import docker, json
c = docker.from_env().containers.get("spin")
st = c.stats(stream=False)
print(json.dumps({"cpu": st["cpu_stats"]["cpu_usage"]["total_usage"], "pre": st["precpu_stats"]["cpu_usage"]["total_usage"],
  "sys": st["cpu_stats"]["system_cpu_usage"], "presys": st["precpu_stats"]["system_cpu_usage"],
  "cpus": st["cpu_stats"]["online_cpus"], "name": st["name"], "pids": st["pids_stats"]["current"]}))
r = c.exec_run("sh -c 'echo x; exit 5'")
late = docker.from_env().containers.get("late")
gen = late.attach(stdout=True, stream=True)
late.exec_run("touch /go")
print(json.dumps([c.logs().decode(), [r.exit_code, r.output.decode()], b"".join(gen).decode(),
  docker.from_env().containers.run("busybox", "echo pyrun", remove=True).decode()]))`)
	cpuAfter, sysAfter := cgroupCPU(t, id), hostCPU(t)
	if code != 0 {
		t.Fatalf("docker-py: %s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(py), "\n")
	var st struct {
		CPU, Pre, Sys, Presys, Cpus, Pids float64
		Name                              string
	}
	if err := json.Unmarshal([]byte(lines[0]), &st); err != nil {
		t.Fatalf("%v: %q", err, py)
	}
	if st.Pre < cpuBefore || st.Pre > st.CPU || st.CPU > cpuAfter || st.Presys < sysBefore || st.Presys >= st.Sys || st.Sys > sysAfter ||
		st.Name != "/spin" || st.Pids != 1 || int(st.Cpus) != onlineCPUs(t) {
		t.Errorf("stats %+v; kernel: cpu %v–%v ns, system %v–%v ns", st, cpuBefore, cpuAfter, sysBefore, sysAfter)
	}
	if want := `["ready\n", [5, "x\n"], "late-out\n", "pyrun\n"]`; len(lines) < 2 || lines[1] != want {
		t.Errorf("docker-py logs, exec_run, run: %q, want %q", lines[1:], want)
	}

	// Clients killed mid-stream: the container runs on, the server answers.
	for _, args := range [][]string{{"attach", "spin"}, {"logs", "-f", "spin"}, {"stats", "spin"}} {
		var out syncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, "docker", args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = s.env, &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if args[0] != "attach" {
			until(t, "docker "+args[0]+" to stream", func() bool { return out.String() != "" })
		}
		cancel()
		cmd.Wait()
	}
	if !s.running("spin") || s.dockerOK("inspect", "-f", "{{.State.Running}}", "spin") != "true\n" {
		t.Errorf("the container stopped when its stream clients were killed")
	}
}

// cgroupCPU is container id's CPU time in ns from the kernel.
func cgroupCPU(t *testing.T, id string) float64 {
	t.Helper()
	for _, p := range []string{"/sys/fs/cgroup/cpuacct/berth/" + id + "/cpuacct.usage", "/sys/fs/cgroup/berth/" + id + "/cpu.stat"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if strings.HasSuffix(p, "cpu.stat") {
			f := strings.Fields(string(b)) // usage_usec N ...
			v, _ := strconv.ParseFloat(f[1], 64)
			return v * 1000
		}
		v, _ := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		return v
	}
	t.Fatalf("no CPU counter for container %s", id)
	return 0
}

// hostCPU is the host's CPU time in ns as docker counts it: the first seven
// fields of /proc/stat's cpu line.
func hostCPU(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	var ticks float64
	for _, v := range f[1:8] {
		n, _ := strconv.ParseFloat(v, 64)
		ticks += n
	}
	return ticks * 1e7 // USER_HZ is 100
}

// onlineCPUs counts the host's online CPUs.
func onlineCPUs(t *testing.T) int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, ok := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		if !ok {
			n++
			continue
		}
		z, _ := strconv.Atoi(hi)
		n += z - a + 1
	}
	return n
}
