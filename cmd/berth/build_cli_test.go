package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildCase is one Dockerfile under testdata/build, the config its image must
// have and what containers run from it must print.
type buildCase struct {
	dir     string
	args    []string          // more build flags
	inspect map[string]string // image inspect --format → output
	runs    [][]string        // run --rm IMAGE ... → output (last element)
}

var buildCases = []buildCase{
	{dir: "basic", args: []string{"--label", "extra=yes"}, inspect: map[string]string{
		"{{json .Config.Cmd}}":                      `["cat","/app/v.txt"]`,
		"{{.Config.WorkingDir}} {{.Config.User}}":   "/app/sub nobody",
		"{{json .Config.ExposedPorts}}":             `{"53/udp":{},"80/tcp":{},"8000/tcp":{},"8001/tcp":{}}`,
		"{{json .Config.Labels}}":                   `{"extra":"yes","maintainer.name":"berth test","version":"1"}`,
		`{{range .Config.Env}}{{println .}}{{end}}`: "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nAPP=/app\nGREETING=hello world",
	}, runs: [][]string{
		{"v=1 hello world"},
		{"sh", "-c", "pwd; cat /app/a.txt /app/d/sub/x; test ! -e /bin/vi && id -un", "/app/sub\nhello\ndeep\nnobody"},
	}},
	{dir: "multistage", args: []string{"--target", "runtime"}, inspect: map[string]string{
		"{{json .Config.Cmd}}": `["cat","/usr/share/artifact"]`,
	}, runs: [][]string{
		{"built"},
		{"sh", "-c", "ls /copied; test -e /tested || echo no-test-stage; test -e /out || echo no-builder-files", "artifact\nsecond\nno-test-stage\nno-builder-files"},
	}},
	{dir: "files", runs: [][]string{
		{"sh", "-c", "cat /opt/inner/file /opt/plain.txt; ls /opt; ls /txt; cat /data/one /data2/nested/one",
			"fromtar\nplain\ninner\nplain.txt\nother.txt\nplain.txt\nd1\nd1"},
		{"sh", "-c", "stat -c '%u:%g %a' /owned /numeric /txt/plain.txt", "65534:65534 600\n1234:1234 644\n0:0 644"},
	}},
	{dir: "commands", inspect: map[string]string{
		"{{json .Config.Entrypoint}} {{json .Config.Cmd}}": `["echo","entry"] ["point"]`,
		"{{.Config.StopSignal}} {{json .Config.Shell}}":    `SIGUSR1 ["/bin/sh","-ec"]`,
	}, runs: [][]string{{"entry point"}, {"again", "entry again"}}},
	{dir: "scratch", inspect: map[string]string{
		"{{len .RootFS.Layers}} {{json .Config.Entrypoint}} {{json .Config.Env}}": `1 ["/busybox"] null`,
	}, runs: [][]string{{"from scratch"}}},
	{dir: "metadata", inspect: map[string]string{
		`{{range .Config.Env}}{{println .}}{{end}}`: "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nA=1\nB=2\nC=1defset",
		"{{json .Config.Healthcheck}}":              `{"Test":["CMD-SHELL","wget -qO- localhost || exit 1"],"Interval":5000000000,"Timeout":2000000000,"Retries":4}`,
		"{{json .Config.Volumes}} {{.Author}}":      `{"/data":{}} someone@example.com`,
	}},
	{dir: "volume", inspect: map[string]string{
		"{{json .Config.Volumes}} {{len .RootFS.Layers}}": `{"/v":{},"/w":{}} 3`,
	}, runs: [][]string{{"data\nmore\nw"}}},
	{dir: "ignore", runs: [][]string{{"find", "/ctx", "-type", "f", "/ctx/.dockerignore\n/ctx/kept.txt\n/ctx/keep.tmp"}}},
}

// TestBuildDockerfiles builds each Dockerfile under testdata/build and checks
// the image's config and files inside containers run from it.
func TestBuildDockerfiles(t *testing.T) {
	c := newCLI(t)
	for _, tc := range buildCases {
		t.Run(tc.dir, func(t *testing.T) {
			c.t = t
			tag := tc.dir + ":test"
			args := append([]string{"build", "-q", "-t", tag}, tc.args...)
			id := strings.TrimSpace(c.ok(append(args, "../../testdata/build/"+tc.dir)...))
			if !strings.HasPrefix(id, "sha256:") {
				t.Fatalf("build -q printed %q", id)
			}
			for format, want := range tc.inspect {
				if got := strings.TrimSpace(c.ok("image", "inspect", "--format", format, tag)); got != want {
					t.Errorf("%s: %q, want %q", format, got, want)
				}
			}
			for _, r := range tc.runs {
				want := r[len(r)-1]
				if got := strings.TrimSpace(c.ok(append([]string{"run", "--rm", tag}, r[:len(r)-1]...)...)); got != want {
					t.Errorf("run %v: %q, want %q", r[:len(r)-1], got, want)
				}
			}
		})
	}
}

// TestBuildOnbuildAndHistory uses an image with ONBUILD triggers as a base and
// checks the history rows BuildKit would write.
func TestBuildOnbuildAndHistory(t *testing.T) {
	c := newCLI(t)
	c.ok("build", "-q", "-t", "onbuild-base:test", "../../testdata/build/onbuild/base")
	if got := c.ok("image", "inspect", "--format", "{{json .Config.OnBuild}}", "onbuild-base:test"); strings.TrimSpace(got) != `["RUN echo triggered > /trigger","ENV FROM_TRIGGER=yes"]` {
		t.Errorf("OnBuild %s", got)
	}
	c.ok("build", "-q", "-t", "onbuild-child:test", "../../testdata/build/onbuild/child")
	if out := c.ok("run", "--rm", "onbuild-child:test", "sh", "-c", "cat /trigger; echo $FROM_TRIGGER"); out != "triggered\nyes\n" {
		t.Errorf("triggers ran: %q", out)
	}
	if got := c.ok("image", "inspect", "--format", "{{json .Config.OnBuild}}", "onbuild-child:test"); strings.TrimSpace(got) != "null" {
		t.Errorf("child kept the triggers: %s", got)
	}
	c.ok("build", "-q", "-t", "basic:test", "--build-arg", "VERSION=7", "../../testdata/build/basic")
	hist := c.ok("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "basic:test")
	want := []string{`CMD ["cat" "/app/v.txt"]|0B`, "USER nobody|0B", "EXPOSE map[53/udp:{} 80/tcp:{} 8000/tcp:{} 8001/tcp:{}]|0B",
		"LABEL version=7 maintainer.name=berth test|0B",
		`RUN |1 VERSION=7 /bin/sh -c echo "v=$VERSION $GREETING" > /app/v.txt && rm -f /bin/vi # buildkit`,
		"COPY dir /app/d/ # buildkit", "COPY a.txt ../ # buildkit", "WORKDIR /app/sub", "WORKDIR /app", "ENV APP=/app GREETING=hello world|0B", "ARG VERSION=7|0B"}
	rows := strings.Split(hist, "\n")
	for i, w := range want {
		if i >= len(rows) || !strings.HasPrefix(rows[i], w) {
			t.Errorf("history row %d: %q, want %q", i, rows[i], w)
		}
	}
}

// cachedSteps builds dir with plain progress and returns how many steps came
// from the cache.
func (c *cli) cachedSteps(args ...string) int {
	c.t.Helper()
	out, errOut, code := c.run("", append([]string{"build", "--progress", "plain"}, args...)...)
	if code != 0 {
		c.t.Fatalf("build %v: exit %d: %s", args, code, errOut)
	}
	return strings.Count(out+errOut, " CACHED\n")
}

// TestBuildCache checks the cache across berth processes: all steps hit on a
// rebuild; editing a copied file misses from its COPY on; an ARG change
// misses from the RUN that sees it; --no-cache misses everything.
func TestBuildCache(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", "../../testdata/build/cache/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copy context: %v %s", err, out)
	}
	if n := c.cachedSteps("-t", "cached:1", dir); n != 0 {
		t.Errorf("first build: %d cached steps", n)
	}
	if n := c.cachedSteps("-t", "cached:1", dir); n != 4 {
		t.Errorf("rebuild: %d cached steps, want 4", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "src.txt"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := c.cachedSteps("-t", "cached:1", dir); n != 1 {
		t.Errorf("after editing src.txt: %d cached steps, want 1 (the RUN before the COPY)", n)
	}
	if out := c.ok("run", "--rm", "cached:1"); out != "two\nv=1\n" {
		t.Errorf("edited build runs %q", out)
	}
	if n := c.cachedSteps("-t", "cached:2", "--build-arg", "V=2", dir); n != 2 {
		t.Errorf("after an ARG change: %d cached steps, want 2", n)
	}
	if out := c.ok("run", "--rm", "cached:2"); out != "two\nv=2\n" {
		t.Errorf("ARG build runs %q", out)
	}
	if n := c.cachedSteps("--no-cache", "-t", "cached:3", dir); n != 0 {
		t.Errorf("--no-cache: %d cached steps", n)
	}
}

// TestBuildFailures checks that a failing build names the Dockerfile line in
// one sentence and leaves no container, mount or image of the failed step.
func TestBuildFailures(t *testing.T) {
	c := newCLI(t)
	before := len(strings.Fields(c.ok("images", "-aq")))
	_, errOut, code := c.run("FROM busybox\nRUN echo before\nRUN echo out; exit 3\n", "build", "-t", "bad", "-")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	last := lines[len(lines)-1]
	if code == 0 || last != "berth: Dockerfile:3: RUN echo out; exit 3: the command did not complete successfully: exit code: 3" {
		t.Errorf("failing RUN: exit %d, last line %q", code, last)
	}
	if !strings.Contains(errOut, "#2 out\n") {
		t.Errorf("the failing step's output is not shown: %s", errOut)
	}
	if out := c.ok("ps", "-aq"); out != "" {
		t.Errorf("containers left: %s", out)
	}
	if after := len(strings.Fields(c.ok("images", "-aq"))); after != before+1 {
		t.Errorf("images: %d before, %d after (want one more: the step that succeeded)", before, after)
	}
	if _, _, code := c.run("", "image", "inspect", "bad"); code == 0 {
		t.Error("the failed build was tagged")
	}
	if entries, _ := os.ReadDir(filepath.Join(c.root, "build")); len(entries) != 0 {
		t.Errorf("build mounts left: %v", entries)
	}
	if ev := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "event=destroy", "--format", "{{.Action}}"); strings.Count(ev, "destroy") != 2 {
		t.Errorf("want the two RUN containers created and destroyed, got %q", ev)
	}
	ctxDir := t.TempDir()
	for _, tc := range []struct{ dockerfile, arg, want string }{
		{"FROM busybox\nFOO bar\n", "-", "berth: Dockerfile:2: unknown instruction: FOO (did you mean FROM?)"},
		{"FROM nosuch\n", "-", `berth: Dockerfile:1: FROM nosuch: unable to find image "nosuch" locally (berth build does not pull; use berth pull)`},
		{"FROM busybox\n\nCOPY missing.txt /x\n", ctxDir, `berth: Dockerfile:3: COPY missing.txt /x: source "missing.txt" not found in the build context (or excluded by .dockerignore)`},
		{"FROM busybox\nCOPY --from=nostage /x /x\n", ctxDir, "berth: Dockerfile:2: COPY --from=nostage /x /x: COPY --from=nostage: no such stage before this one, and no such image locally"},
	} {
		if tc.arg != "-" {
			if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(tc.dockerfile), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, errOut, code := c.run(tc.dockerfile, "build", "-q", tc.arg)
		if code == 0 || strings.TrimSpace(errOut) != tc.want {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.dockerfile, code, errOut, tc.want)
		}
	}
	for _, args := range [][]string{{"build", "--target", "nope", ctxDir}, {"build", "--progress", "fancy", ctxDir}, {"build", "/nonexistent"}} {
		if _, errOut, code := c.run("", args...); code == 0 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	if after := len(strings.Fields(c.ok("images", "-aq"))); after != before+1 {
		t.Errorf("bad input changed the images: %d", after)
	}
}

// TestBuildStdinQuietIidfile builds a Dockerfile from stdin with -q and --iidfile.
func TestBuildStdinQuietIidfile(t *testing.T) {
	c := newCLI(t)
	iid := filepath.Join(t.TempDir(), "iid")
	out, errOut, code := c.run("FROM busybox\nCMD [\"echo\", \"stdin\"]\n", "build", "-q", "--iidfile", iid, "-t", "fromstdin", "-")
	if code != 0 {
		t.Fatalf("build -: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(iid)
	if err != nil || string(b) != strings.TrimSpace(out) || errOut != "" {
		t.Errorf("-q printed %q (stderr %q), iidfile %q %v", out, errOut, b, err)
	}
	if got := c.ok("run", "--rm", "fromstdin"); got != "stdin\n" {
		t.Errorf("run: %q", got)
	}
}

// startBuild starts `berth build -` of dockerfile in the background, and
// returns once its RUN step's container runs, with the channel its end is sent on.
func (c *cli) startBuild(dockerfile string) (*exec.Cmd, <-chan error) {
	c.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "build", "-t", "slow", "-")
	cmd.Stdin = strings.NewReader(dockerfile)
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for strings.TrimSpace(c.ok("ps", "-q")) == "" {
		select {
		case err := <-done:
			c.t.Fatalf("build ended before its RUN step started: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return cmd, done
}

// TestBuildInterruptedOrKilled interrupts a build in its RUN step (it removes
// the step's container itself), kills another (the next build removes what
// it left: the container, and a mount no live build holds).
func TestBuildInterruptedOrKilled(t *testing.T) {
	c := newCLI(t)
	cmd, done := c.startBuild("FROM busybox\nRUN sleep 600\n")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("an interrupted build succeeded")
	}
	if out := c.ok("ps", "-aq"); out != "" {
		t.Errorf("an interrupted build left containers: %s", out)
	}
	cmd, done = c.startBuild("FROM busybox\nRUN sleep 600\n")
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	// What a build killed in a COPY leaves: a mount whose lock nobody holds.
	stale := filepath.Join(c.root, "build", "mnt-stale")
	if err := os.MkdirAll(filepath.Join(stale, "merged"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "tmpfs", filepath.Join(stale, "merged")).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v %s", err, out)
	}
	if _, errOut, code := c.run("FROM busybox\nCMD [\"true\"]\n", "build", "-q", "-"); code != 0 {
		t.Fatalf("build after the kill: %s", errOut)
	}
	if out := c.ok("ps", "-aq"); out != "" {
		t.Errorf("the next build did not remove the killed build's container: %s", out)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the next build did not remove the stale mount")
	}
}
