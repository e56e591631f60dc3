package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/engine"
	"berth/engine/api/apitest"
	"berth/engine/testroots"
)

// The CLI tests run the real bin/berth (built by make, or here) as a user
// would, each against its own data root.

var binDir string

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Println("berth CLI tests need root: skipping")
		os.Exit(0)
	}
	dir := os.Getenv("BERTH_BIN")
	cleanup := func() {}
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "berth-bin-"); err != nil {
			panic(err)
		}
		cleanup = func() { os.RemoveAll(dir) }
		if err := buildAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	binDir = dir
	// Data roots of earlier test processes that were killed (go test's
	// -timeout) are reset and deleted; live ones are left alone.
	testroots.SweepKilled(binDir, os.Stderr)
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func buildAll(dir string) error {
	for _, b := range []struct{ name, pkg, cgo string }{
		{"berth", "./cmd/berth", "1"}, {"berth-monitor", "./cmd/berth-monitor", "1"}, {"berth-init", "./cmd/berth-init", "0"},
	} {
		cmd := exec.Command("go", "build", "-tags", "seccomp", "-ldflags", stampFlags(), "-o", filepath.Join(dir, b.name), b.pkg)
		if b.name == "berth-monitor" { // as the Makefile builds it
			cmd = exec.Command("go", "build", "-tags", apitest.MonitorTags, "-ldflags", apitest.MonitorLdflags, "-o", filepath.Join(dir, b.name), b.pkg)
		}
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", b.name, err, out)
		}
	}
	return nil
}

// cli is one data root and the berth binary that uses it.
type cli struct {
	t    *testing.T
	root string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	c := &cli{t: t, root: t.TempDir()}
	if err := testroots.Mark(c.root); err != nil {
		t.Fatal(err)
	}
	c.ok("image", "bootstrap", "busybox")
	t.Cleanup(c.teardown)
	return c
}

// run runs berth with args and returns stdout, stderr and the exit code.
func (c *cli) run(stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang fails, not blocks
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "berth"), append([]string{"--root", c.root}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("berth %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run("", args...)
	if code != 0 {
		c.t.Fatalf("berth %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func (c *cli) teardown() {
	out, _, _ := c.run("", "ps", "-aq", "--no-trunc")
	for _, id := range strings.Fields(out) {
		c.run("", "rm", "-f", id)
	}
	if out, _, _ := c.run("", "ps", "-aq"); strings.TrimSpace(out) != "" {
		c.t.Errorf("containers left: %s", out)
	}
	// The root's networks (the default bridge included) go too: bridge, rules.
	if e, err := engine.New(engine.Options{Root: c.root, MonitorPath: filepath.Join(binDir, "berth-monitor"),
		InitPath: filepath.Join(binDir, "berth-init")}); err == nil {
		if err := e.Networks().RemoveAll(context.Background()); err != nil {
			c.t.Errorf("networks left: %v", err)
		}
		e.Close()
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), c.root) {
		c.t.Errorf("mounts left under %s", c.root)
	}
	if pids, _ := exec.Command("pgrep", "-f", "berth-monitor "+c.root).Output(); len(bytes.TrimSpace(pids)) > 0 {
		c.t.Errorf("monitors left: %s", pids)
	}
}

func TestRunRmLeavesNothing(t *testing.T) {
	c := newCLI(t)
	out, errOut, code := c.run("", "run", "--rm", "busybox", "echo", "hello")
	if out != "hello\n" || code != 0 {
		t.Fatalf("run --rm: %q %q exit %d", out, errOut, code)
	}
	if ps := c.ok("ps", "-aq"); ps != "" {
		t.Errorf("run --rm left %q", ps)
	}
	dirs, _ := os.ReadDir(filepath.Join(c.root, "containers"))
	if len(dirs) != 0 {
		t.Errorf("run --rm left %d container dirs", len(dirs))
	}
}

func TestExitCodes(t *testing.T) {
	c := newCLI(t)
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"run", "--rm", "busybox", "sh", "-c", "exit 42"}, 42, ""},
		{[]string{"run", "--rm", "busybox", "nosuchcommand"}, 127, "executable file not found"},
		{[]string{"run", "--rm", "busybox", "/etc/passwd"}, 126, "permission denied"},
		{[]string{"run", "--rm", "nosuchimage"}, 125, "unable to find image"},
		{[]string{"run", "--rm", "--memory", "-5m", "busybox", "true"}, 125, "invalid --memory"},
		{[]string{"run", "--rm", "--cpus", "999", "busybox", "true"}, 125, "range of CPUs"},
		{[]string{"run", "--rm", "--restart", "sometimes", "busybox", "true"}, 125, "invalid restart policy"},
		{[]string{"run", "--rm", "--stop-signal", "NOPE", "busybox", "true"}, 125, "invalid signal"},
		{[]string{"kill", "-s", "NOPE", "x"}, 125, "invalid signal"},
		{[]string{"logs", "nosuch"}, 125, "no such container"},
		{[]string{"logs", "--since", "yesterday-ish", "x"}, 125, "--since"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errOut, code := c.run("", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.err) {
				t.Errorf("exit %d stderr %q; want %d and %q", code, errOut, tt.code, tt.err)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("error is not one line: %q", errOut)
			}
		})
	}
	if ps := c.ok("ps", "-aq"); ps != "" {
		t.Errorf("failed runs left containers: %q", ps)
	}
}

func TestDetachedLifecycleVerbs(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("run", "-d", "--name", "web", "-l", "tier=front", "busybox", "sh", "-c", "trap 'exit 3' TERM; echo started; while :; do sleep 0.1; done"))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q", id)
	}
	if got := c.ok("ps", "-q"); got != id[:12]+"\n" {
		t.Errorf("ps -q: %q", got)
	}
	if got := c.ok("ps", "--format", "{{.Names}} {{.State}} {{.Label \"tier\"}}"); got != "web running front\n" {
		t.Errorf("ps --format: %q", got)
	}
	if got := c.ok("exec", "web", "hostname"); got != id[:12]+"\n" {
		t.Errorf("exec hostname: %q", got)
	}
	c.waitFor("web's first line", func(out string) bool { return out == "started\n" }, "logs", "web")
	if got := c.ok("logs", "--tail", "1", "web"); got != "started\n" {
		t.Errorf("logs: %q", got)
	}
	if got := c.ok("logs", "--timestamps", "web"); !strings.HasSuffix(got, "Z started\n") || len(got) < 30 {
		t.Errorf("logs -t: %q", got)
	}
	c.ok("pause", "web")
	if got := c.ok("inspect", "--format", "{{.State.Status}} {{.State.Paused}}", "web"); got != "paused true\n" {
		t.Errorf("inspect paused: %q", got)
	}
	c.ok("unpause", "web")
	c.ok("stop", "-t", "5", "web")
	if got := c.ok("inspect", "-f", "{{.State.ExitCode}} {{.Name}} {{.Id}}", "web"); got != "3 /web "+id+"\n" {
		t.Errorf("inspect after stop: %q", got)
	}
	if got := c.ok("wait", "web"); got != "3\n" {
		t.Errorf("wait: %q", got)
	}
	c.ok("rename", "web", "web2")
	var insp []map[string]any
	if err := json.Unmarshal([]byte(c.ok("inspect", "web2")), &insp); err != nil || len(insp) != 1 {
		t.Fatalf("inspect json: %v", err)
	}
	for _, k := range []string{"Id", "Created", "Path", "Args", "State", "Image", "Name", "HostConfig", "Config", "GraphDriver", "LogPath"} {
		if _, ok := insp[0][k]; !ok {
			t.Errorf("inspect lacks %s", k)
		}
	}
	if got := c.ok("ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}"); got != "web2\n" {
		t.Errorf("ps filter: %q", got)
	}
	out := c.ok("container", "prune", "-f")
	if !strings.Contains(out, id) {
		t.Errorf("prune: %q", out)
	}
}

func TestCreateThenStartAttached(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("create", "--name", "once", "busybox", "sh", "-c", "echo from-start; exit 5"))
	if got := c.ok("ps", "-a", "--format", "{{.Status}}"); got != "Created\n" {
		t.Errorf("status after create: %q", got)
	}
	out, _, code := c.run("", "start", "-a", id)
	if out != "from-start\n" || code != 5 {
		t.Errorf("start -a: %q exit %d", out, code)
	}
	if got := c.ok("ps", "-a", "--format", "{{.Status}}"); !strings.HasPrefix(got, "Exited (5)") {
		t.Errorf("status after exit: %q", got)
	}
}

func TestInteractiveStdin(t *testing.T) {
	c := newCLI(t)
	out, errOut, code := c.run("hello from stdin\n", "run", "--rm", "-i", "busybox", "sh", "-c", "read x; echo got: $x")
	if out != "got: hello from stdin\n" || code != 0 {
		t.Errorf("run -i: %q %q exit %d", out, errOut, code)
	}
	c.ok("run", "-d", "--name", "cat", "busybox", "sleep", "100")
	out, _, code = c.run("piped\n", "exec", "-i", "cat", "cat")
	if out != "piped\n" || code != 0 {
		t.Errorf("exec -i: %q exit %d", out, code)
	}
}

func TestEventsAreRecorded(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "--rm", "--name", "ev", "busybox", "true")
	out := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "container=ev", "--format", "{{.Action}}")
	want := "create\nstart\ndie\ndestroy\n"
	if out != want {
		t.Errorf("events: %q, want %q", out, want)
	}
}

func TestRunOptionsFromFlags(t *testing.T) {
	c := newCLI(t)
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("# comment\nFROM_FILE=yes\nOVERRIDE=file\n"), 0o644)
	out := c.ok("run", "--rm", "--env-file", envFile, "-e", "OVERRIDE=flag", "-w", "/srv", "-u", "nobody",
		"--hostname", "boxy", "busybox", "sh", "-c", "echo $FROM_FILE $OVERRIDE $(pwd) $(id -u) $(hostname)")
	if out != "yes flag /srv 65534 boxy\n" {
		t.Errorf("run options: %q", out)
	}
	// --stop-signal and --stop-timeout: stop sends the chosen signal, then waits that long.
	c.ok("run", "-d", "--name", "sig", "--stop-signal", "USR1", "--stop-timeout", "20", "busybox",
		"sh", "-c", "trap 'exit 9' USR1; echo trapped; while :; do sleep 0.1; done")
	c.waitFor("sig's trap", func(out string) bool { return out == "trapped\n" }, "logs", "sig")
	c.ok("stop", "sig")
	if got := c.ok("inspect", "-f", "{{.State.ExitCode}} {{.Config.StopSignal}} {{.Config.StopTimeout}}", "sig"); got != "9 USR1 20\n" {
		t.Errorf("stop with --stop-signal: %q", got)
	}
	// --init reaps and forwards: PID 1 is the init, the command is its child.
	if got := c.ok("run", "--rm", "--init", "busybox", "sh", "-c", "echo $$; cat /proc/1/comm"); !strings.HasSuffix(got, "\ndocker-init\n") || strings.HasPrefix(got, "1\n") {
		t.Errorf("--init: %q (want the shell not PID 1, docker-init as PID 1)", got)
	}
}

func TestDetachedRmRemovesItself(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--rm", "--name", "brief", "-v", "/scratch", "busybox", "sh", "-c", "sleep 0.3")
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if out, _, _ := c.run("", "ps", "-aq"); out == "" {
			if vols := c.ok("volume", "ls", "-q"); vols != "" {
				t.Errorf("--rm left its anonymous volume: %q", vols)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("run -d --rm: the container is still there: %q", c.ok("ps", "-a"))
}
