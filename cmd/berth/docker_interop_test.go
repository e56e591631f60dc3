package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// Interop with a real Docker, both ways: berth's saves load into dockerd and
// run there, docker's saves load into berth and run here. The daemon is the
// test's own (startDockerd, dockerd_test.go), never the host's Docker.

func TestDockerInterop(t *testing.T) {
	requireDockerd(t)
	c := newCLI(t)
	d := startDockerd(t)

	// berth save | docker load, then docker runs it.
	d.loadFromBerth(c, "busybox")
	if got, want := d.ok(nil, "image", "inspect", "--format", "{{.Id}}", "busybox"), c.ok("images", "-q", "--no-trunc", "busybox"); got != want {
		t.Errorf("docker sees ID %q, berth saved %q", got, want)
	}
	if got := d.ok(nil, "run", "--rm", "--network", "none", "busybox", "echo", "ok"); got != "ok\n" {
		t.Errorf("docker run of berth's image: %q", got)
	}

	// An image docker made (import, then a container committed on top) goes
	// through docker save | berth load and runs in berth with its config intact.
	dockerMadeImage(t, d)
	if out := pipe(t, d.command("save", "dk:made"), c.command("load")); out != "Loaded image: dk:made\n" {
		t.Errorf("berth load of docker's save: %q", out)
	}
	if got, want := c.ok("images", "-q", "--no-trunc", "dk:made"), d.ok(nil, "image", "inspect", "--format", "{{.Id}}", "dk:made"); got != want {
		t.Errorf("berth loaded ID %q, docker saved %q", got, want)
	}
	compareConfigs(t, d.ok(nil, "image", "inspect", "--format", "{{json .Config}}", "dk:made"),
		c.ok("image", "inspect", "--format", "{{json .Config}}", "dk:made"))
	hist := "{{.CreatedBy}}|{{.Comment}}"
	if got, want := c.ok("history", "--no-trunc", "--format", hist, "dk:made"), d.ok(nil, "history", "--no-trunc", "--format", hist, "dk:made"); got != want {
		t.Errorf("history: berth %q, docker %q", got, want)
	}
	// -u 0: berth's container root is not yet readable by other users (engine).
	out, errOut, code := c.run("", "run", "--rm", "-u", "0", "dk:made")
	if out != "made\nhello from /work\n" || code != 0 {
		t.Errorf("berth run of docker's image: %q %q exit %d", out, errOut, code)
	}
}

// dockerMadeImage makes dk:made in dockerd: a rootfs imported with changes,
// then a committed container layer with more changes.
func dockerMadeImage(t *testing.T, d *dockerDaemon) {
	t.Helper()
	d.ok(bytes.NewReader(busyboxRootfs(t)), "import", "-c", "ENV GREETING=hi", "-c", "ENV PATH=/bin", "-", "dk:base")
	d.ok(nil, "run", "--network", "none", "--name", "berth-mk", "dk:base", "/bin/busybox", "sh", "-c", "mkdir /work && echo made > /work/file")
	defer d.docker(nil, "rm", "-f", "berth-mk")
	d.ok(nil, "commit",
		"-c", "WORKDIR /work", "-c", "USER 1000:1000", "-c", "LABEL org.test=yes other=two",
		"-c", "EXPOSE 8080/tcp", "-c", "EXPOSE 53/udp", "-c", "VOLUME /data", "-c", "ENV GREETING=hello",
		"-c", `ENTRYPOINT ["/bin/busybox", "sh", "-c"]`, "-c", `CMD ["/bin/busybox cat file; echo $GREETING from $PWD"]`,
		"-c", `HEALTHCHECK --interval=5s --retries=2 CMD /bin/busybox true`,
		"berth-mk", "dk:made")
}

// compareConfigs checks that the image config fields a user sets survive.
func compareConfigs(t *testing.T, dockerJSON, berthJSON string) {
	t.Helper()
	var dc, bc map[string]any
	if err := json.Unmarshal([]byte(dockerJSON), &dc); err != nil {
		t.Fatalf("docker config: %v", err)
	}
	if err := json.Unmarshal([]byte(berthJSON), &bc); err != nil {
		t.Fatalf("berth config: %v", err)
	}
	for _, k := range []string{"Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels", "ExposedPorts", "Volumes", "Healthcheck"} {
		if dc[k] == nil {
			t.Errorf("docker's image lacks %s: the test made it wrong", k)
		}
		if !reflect.DeepEqual(dc[k], bc[k]) {
			t.Errorf("%s: docker %v, berth %v", k, dc[k], bc[k])
		}
	}
}

// pipe runs from | to, as a shell pipeline would, and returns to's stdout.
func pipe(t *testing.T, from, to *exec.Cmd) string {
	t.Helper()
	r, err := from.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out, errFrom, errTo bytes.Buffer
	from.Stderr, to.Stdin, to.Stdout, to.Stderr = &errFrom, r, &out, &errTo
	if err := from.Start(); err != nil {
		t.Fatal(err)
	}
	errT := to.Run()
	errF := from.Wait()
	if errF != nil || errT != nil {
		t.Fatalf("%s | %s: %v %s / %v %s", from.Args, to.Args, errF, errFrom.String(), errT, errTo.String())
	}
	return out.String()
}

func (c *cli) command(args ...string) *exec.Cmd {
	return exec.Command(filepath.Join(binDir, "berth"), append([]string{"--root", c.root}, args...)...)
}
