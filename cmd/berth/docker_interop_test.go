package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Interop with a real Docker, both ways: berth's saves load into dockerd and
// run there, docker's saves load into berth and run here. The daemon is
// Debian's docker.io, started by the test on its own socket, data root and
// exec root, in a network namespace and a mount namespace of its own (with a
// private /run): whatever it does to links, routes and iptables rules (with
// --bridge=none it deletes any docker0 it sees), whatever it mounts and the
// containerd it starts stay there, and a Docker the host may run (docker0,
// /var/lib/docker, /run/containerd, its rules) is never touched. The test
// checks that: each of the daemon's processes is in other namespaces than the
// test's, and the host's links, addresses, routes, rules, nftables and
// iptables rules and Docker's host paths read the same after as before.

// dockerdIsolation is the shell run by unshare(1) in the daemon's new
// namespaces: loopback up, a private /run, then dockerd with the arguments.
const dockerdIsolation = `ip link set lo up && mount -t tmpfs -o mode=0755 tmpfs /run && exec dockerd "$@"`

// dockerDaemon is a private dockerd and the docker CLI environment that reaches it.
type dockerDaemon struct {
	t      *testing.T
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	env    []string
	cgroup string
}

// requireDockerd installs Debian's docker.io (and nftables, for the host
// snapshot) when dockerd, docker or nft is missing, with services kept from
// starting, and skips the test only if that fails.
func requireDockerd(t *testing.T) {
	t.Helper()
	var missing []string
	for _, p := range []struct{ bin, pkg string }{{"dockerd", "docker.io"}, {"docker", "docker.io"}, {"nft", "nftables"}} {
		if _, err := exec.LookPath(p.bin); err != nil && !slices.Contains(missing, p.pkg) {
			missing = append(missing, p.pkg)
		}
	}
	if len(missing) == 0 {
		return
	}
	t.Logf("installing Debian's %s with apt-get (once)", strings.Join(missing, " "))
	const policy = "/usr/sbin/policy-rc.d"
	if _, err := os.Stat(policy); errors.Is(err, os.ErrNotExist) {
		// Keep the package from starting the host's default docker service.
		if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err == nil {
			defer os.Remove(policy)
		}
	}
	install := func() ([]byte, error) {
		cmd := exec.Command("apt-get", append([]string{"install", "-y", "-q"}, missing...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	out, err := install()
	if err != nil {
		exec.Command("apt-get", "update", "-q").Run()
		out, err = install()
	}
	_, errD := exec.LookPath("dockerd")
	_, errN := exec.LookPath("nft")
	if err != nil || errD != nil || errN != nil {
		t.Skipf("SKIP Docker interop: `apt-get install %s` failed (%v): %s",
			strings.Join(missing, " "), err, lastLines(string(out), 3))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// startDockerd starts a private dockerd in namespaces of its own and waits
// until it answers. It checks, when the test ends, that the host is as before.
func startDockerd(t *testing.T) *dockerDaemon {
	t.Helper()
	// Registered before d.stop, so its check runs after the daemon is gone.
	checkHostUnchanged(t)
	dir, err := os.MkdirTemp("/tmp", "berth-dk-") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	d := &dockerDaemon{t: t, dir: dir, cgroup: "/" + filepath.Base(dir), exited: make(chan struct{})}
	t.Cleanup(d.stop)
	log, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	d.cmd = exec.Command("unshare", append([]string{"--net", "--mount", "--propagation", "private", "--",
		"sh", "-c", dockerdIsolation, "dockerd"}, d.args()...)...)
	d.cmd.Stdout, d.cmd.Stderr = log, log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start dockerd: %v", err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	d.env = append(os.Environ(), "DOCKER_HOST=unix://"+dir+"/docker.sock", "DOCKER_CONFIG="+dir+"/cli")
	// A bound against a hang, not a speed requirement.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if _, err := d.docker(nil, "version"); err == nil {
			d.checkIsolated()
			return d
		}
		select {
		case <-d.exited:
			t.Fatalf("dockerd exited: %s", d.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dockerd did not answer: %s", d.log())
		}
	}
}

// args are dockerd's arguments: everything it keeps under d.dir, no bridge,
// no iptables rules, no ip_forward change (belt and braces: its network
// namespace is its own anyway).
func (d *dockerDaemon) args() []string {
	dir := d.dir
	conf := "{}\n"
	if v, _ := exec.Command("dockerd", "--version").Output(); strings.Contains(string(v), "version 20.") {
		conf = `{"deprecated-key-path": "` + dir + `/key.json"}` + "\n" // else /etc/docker/key.json
	}
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte(conf), 0o644); err != nil {
		d.t.Fatal(err)
	}
	return []string{"--host", "unix://" + dir + "/docker.sock", "--data-root", dir + "/root",
		"--exec-root", dir + "/exec", "--pidfile", dir + "/docker.pid", "--config-file", dir + "/daemon.json",
		"--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
		"--cgroup-parent", d.cgroup, "--storage-driver", "overlay2"}
}

// checkIsolated fails the test unless dockerd and the containerd it started
// run in another network and mount namespace than the test, and the host
// sees none of their mounts.
func (d *dockerDaemon) checkIsolated() {
	t := d.t
	t.Helper()
	pids := pidsMentioning(d.dir)
	if len(pids) < 2 {
		t.Errorf("want dockerd and its containerd, found pids %v", pids)
	}
	for _, ns := range []string{"net", "mnt"} {
		own, err := os.Readlink("/proc/self/ns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		for _, pid := range pids {
			if got, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns)); err == nil && got == own {
				cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				name, _, _ := bytes.Cut(cmd, []byte{0})
				t.Errorf("%s (pid %d) runs in the host's %s namespace %s", name, pid, ns, own)
			}
		}
	}
	if m := mountsUnder(d.dir); len(m) > 0 {
		t.Errorf("the host sees dockerd's mounts: %v", m)
	}
}

func (d *dockerDaemon) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "dockerd.log"))
	return lastLines(string(b), 8)
}

// command is a docker CLI command aimed at this daemon.
func (d *dockerDaemon) command(args ...string) *exec.Cmd {
	cmd := exec.Command("docker", args...)
	cmd.Env = d.env
	return cmd
}

// docker runs the docker CLI and returns its stdout.
func (d *dockerDaemon) docker(stdin io.Reader, args ...string) (string, error) {
	cmd := d.command(args...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func (d *dockerDaemon) ok(stdin io.Reader, args ...string) string {
	d.t.Helper()
	out, err := d.docker(stdin, args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// stop ends dockerd, then checks and clears what it could leave: processes,
// mounts (none can reach the host's mount namespace), cgroups, its dir.
func (d *dockerDaemon) stop() {
	t := d.t
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(2 * time.Minute): // a bound against a hang
			t.Errorf("dockerd ignored SIGTERM; killing it")
			d.cmd.Process.Kill()
			<-d.exited
		}
	}
	for _, pid := range pidsMentioning(d.dir) {
		t.Errorf("process %d outlived dockerd; killing it", pid)
		unix.Kill(pid, unix.SIGKILL)
	}
	for _, m := range mountsUnder(d.dir) {
		t.Errorf("dockerd left mount %s", m)
		unix.Unmount(m, unix.MNT_DETACH)
	}
	cgs, _ := filepath.Glob("/sys/fs/cgroup/*" + d.cgroup)
	for _, cg := range cgs {
		removeCgroup(cg)
	}
	if err := os.RemoveAll(d.dir); err != nil {
		t.Errorf("remove %s: %v", d.dir, err)
	}
}

// pidsMentioning lists processes whose command line contains s.
func pidsMentioning(s string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && bytes.Contains(b, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsUnder lists mount points under dir, deepest first.
func mountsUnder(dir string) []string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir) {
			out = append(out, f[4])
		}
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// removeCgroup removes a cgroup directory and its children, deepest first.
func removeCgroup(dir string) {
	var dirs []string
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	slices.Reverse(dirs)
	for _, p := range dirs {
		os.Remove(p)
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

func TestDockerInterop(t *testing.T) {
	requireDockerd(t)
	c := newCLI(t)
	d := startDockerd(t)

	// berth save | docker load, then docker runs it.
	if out := pipe(t, c.command("save", "busybox"), d.command("load")); !strings.Contains(out, "Loaded image: busybox:latest") {
		t.Errorf("docker load of berth's save: %q", out)
	}
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
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatalf("busybox-static: %v", err)
	}
	bin, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	rootfs := tarOf(t, map[string]string{"bin/busybox": string(bin)})
	d.ok(bytes.NewReader(rootfs), "import", "-c", "ENV GREETING=hi", "-c", "ENV PATH=/bin", "-", "dk:base")
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
