package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The private dockerd of the tests that hold berth against a real Docker
// (docker_interop_test.go, build_docker_test.go, ...): Debian's docker.io,
// started by the test on its own socket, data root, exec root, pidfile and
// cgroup parent under a temporary dir, in a network namespace and a mount
// namespace of its own (with a private /run). Whatever it does to links,
// routes and iptables rules (with --bridge=none it deletes any docker0 it
// sees), whatever it mounts and the containerd it starts stay there, and a
// Docker the host may run (docker0, /var/lib/docker, /run/containerd, its
// rules, its socket) is never touched. startDockerd checks that: the daemon
// answering is the test's, each of its processes is in other namespaces than
// the test's, and when the test ends no process, mount, cgroup or namespace
// of it is left and the host's links, addresses, routes, rules, nftables and
// iptables rules and Docker's host paths read the same as before
// (checkHostUnchanged). bench/lib-docker.sh is the shell twin of this file.

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
	// ns holds the daemon's namespaces open (see holdNamespaces).
	ns []heldNamespace
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
	for _, bin := range []string{"dockerd", "docker", "nft"} {
		if _, errL := exec.LookPath(bin); errL != nil {
			t.Skipf("SKIP: this test needs a private dockerd, and %s is missing: `apt-get install %s` failed (%v): %s",
				bin, strings.Join(missing, " "), err, lastLines(string(out), 3))
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// startDockerd starts a private dockerd in namespaces of its own and waits
// until it answers. When the test ends it stops the daemon, checks that
// nothing of it is left, and that the host is as before.
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
	d.env = dockerCLIEnv(dir+"/docker.sock", dir+"/cli")
	// A bound against a hang, not a speed requirement.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if _, err := d.docker(nil, "version"); err == nil {
			d.checkIsolated()
			d.holdNamespaces()
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

// dockerCLIEnv is the test's environment for a docker CLI that reaches the
// daemon at sock only: none of the caller's DOCKER_* settings (a context, a
// host, TLS) can aim it elsewhere, and its config dir is its own.
func dockerCLIEnv(sock, config string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "DOCKER_") })
	return append(env, "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+config)
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

// checkIsolated fails the test unless the daemon answering is the one with
// its data root under d.dir, dockerd and the containerd it started run in
// another network and mount namespace than the test, and the host sees none
// of their mounts.
func (d *dockerDaemon) checkIsolated() {
	t := d.t
	t.Helper()
	if root := strings.TrimSpace(d.ok(nil, "info", "--format", "{{.DockerRootDir}}")); root != d.dir+"/root" {
		t.Fatalf("the daemon answering keeps its data in %q, not under %s", root, d.dir)
	}
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
	return d.cliCommand("docker", nil, args...)
}

// cliCommand is the docker CLI at bin aimed at this daemon, with env added
// to its environment.
func (d *dockerDaemon) cliCommand(bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(slices.Clip(d.env), env...)
	return cmd
}

// docker runs the docker CLI and returns its stdout.
func (d *dockerDaemon) docker(stdin io.Reader, args ...string) (string, error) {
	return runCLI(d.command(args...), stdin)
}

// ok runs the docker CLI and returns its stdout, failing the test if it fails.
func (d *dockerDaemon) ok(stdin io.Reader, args ...string) string {
	d.t.Helper()
	out, err := d.docker(stdin, args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// runCLI runs cmd with stdin and returns its stdout; its error names the
// command and carries its stderr.
func runCLI(cmd *exec.Cmd, stdin io.Reader) (string, error) {
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", filepath.Base(cmd.Path), strings.Join(cmd.Args[1:], " "), err, errb.String())
	}
	return out.String(), nil
}

// loadFromBerth pipes berth save REF into docker load and fails the test
// unless docker says it loaded REF.
func (d *dockerDaemon) loadFromBerth(c *cli, ref string) {
	d.t.Helper()
	want := ref
	if !strings.Contains(ref, ":") {
		want += ":latest"
	}
	if out := pipe(d.t, c.command("save", ref), d.command("load")); !strings.Contains(out, "Loaded image: "+want+"\n") {
		d.t.Fatalf("docker load of berth's %s: %q", ref, out)
	}
}

// busyboxRootfs is a root file system tar holding only the host's static
// busybox, at /bin/busybox.
func busyboxRootfs(t *testing.T) []byte {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatalf("busybox-static: %v", err)
	}
	bin, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	return tarOf(t, map[string]string{"bin/busybox": string(bin)})
}

// stop ends dockerd, then checks and clears what it could leave: processes,
// mounts (none can reach the host's mount namespace), namespaces, cgroups,
// its dir.
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
	d.releaseNamespaces()
	cgs, _ := filepath.Glob("/sys/fs/cgroup/*" + d.cgroup)
	for _, cg := range cgs {
		removeCgroup(cg)
	}
	if err := os.RemoveAll(d.dir); err != nil {
		t.Errorf("remove %s: %v", d.dir, err)
	}
}

// heldNamespace is an open descriptor of one of the daemon's namespaces and
// its name as /proc/PID/ns gives it ("net:[4026532177]").
type heldNamespace struct {
	f    *os.File
	name string
}

// holdNamespaces opens dockerd's network and mount namespaces, so that stop
// can tell whether anything but the test still holds them: while the test
// holds a namespace its number cannot pass to a namespace made meanwhile by
// another test. It checks that nsHolders sees dockerd in each, so that the
// check in releaseNamespaces is not vacuous.
func (d *dockerDaemon) holdNamespaces() {
	t := d.t
	t.Helper()
	pid := d.cmd.Process.Pid // unshare execs sh, which execs dockerd
	for _, kind := range []string{"net", "mnt"} {
		p := fmt.Sprintf("/proc/%d/ns/%s", pid, kind)
		f, err := os.Open(p)
		if err != nil {
			t.Fatalf("hold dockerd's %s namespace: %v", kind, err)
		}
		name, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
		if err != nil {
			f.Close()
			t.Fatalf("hold dockerd's %s namespace: %v", kind, err)
		}
		d.ns = append(d.ns, heldNamespace{f, name})
		if h := d.nsHolders(name); !slices.Contains(h, fmt.Sprintf("process %d", pid)) {
			t.Errorf("nsHolders does not see dockerd (pid %d) in its %s namespace %s: %v", pid, kind, name, h)
		}
	}
}

// releaseNamespaces fails the test if anything but the test holds the
// daemon's namespaces, then lets them go.
func (d *dockerDaemon) releaseNamespaces() {
	for _, ns := range d.ns {
		if h := d.nsHolders(ns.name); len(h) > 0 {
			d.t.Errorf("dockerd's namespace %s outlived it, held by %v", ns.name, h)
		}
		ns.f.Close()
	}
	d.ns = nil
}

// nsHolders lists what the host sees keeping the namespace name ("net:[N]")
// alive, but for the test's own hold of it: processes in it, descriptors
// open on it, mounts of it.
func (d *dockerDaemon) nsHolders(name string) []string {
	var out []string
	kind, _, _ := strings.Cut(name, ":")
	own := map[string]bool{}
	for _, ns := range d.ns {
		own[fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), ns.f.Fd())] = true
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if l, err := os.Readlink(filepath.Join(p, "ns", kind)); err == nil && l == name {
			out = append(out, "process "+filepath.Base(p))
		}
		fds, _ := filepath.Glob(filepath.Join(p, "fd", "*"))
		for _, fd := range fds {
			if l, err := os.Readlink(fd); err == nil && l == name && !own[fd] {
				out = append(out, "descriptor "+fd)
			}
		}
	}
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[3] == name {
			out = append(out, "mount "+f[4])
		}
	}
	return out
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
