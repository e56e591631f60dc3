package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchLibDockerdIsolated runs bench/lib-docker.sh's start_dockerd and
// stop_dockerds as the bench scripts do and checks that the daemon runs in
// namespaces of its own, runs a container there, and leaves the host as it
// found it: no process, mount or cgroup, and the same links, routes, rules,
// nftables and iptables rules and Docker host paths.
func TestBenchLibDockerdIsolated(t *testing.T) {
	requireDockerd(t)
	checkHostUnchanged(t)
	lib, err := filepath.Abs("../../bench/lib-docker.sh")
	if err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp("/tmp", "berth-bl-") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	name := fmt.Sprintf("t%d", os.Getpid())
	// The script waits for stdin to close before stopping the daemon.
	script := `set -e; work=$1; . "$2"; trap stop_dockerds EXIT; start_dockerd "$3"; echo "${pids[0]}"; cat >/dev/null`
	sh := exec.Command("bash", "-c", script, "bash", work, lib, name)
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	sh.Stderr = &stderr
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	pid, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stdin.Close()
		sh.Wait()
		t.Fatalf("start_dockerd: %v: %s", err, stderr.String())
	}
	d := &dockerDaemon{t: t, dir: filepath.Join(work, name)}
	d.env = dockerCLIEnv(d.dir+"/docker.sock", work+"/cli")
	t.Logf("dockerd pid %s", strings.TrimSpace(pid))
	d.checkIsolated()
	runImportedBusybox(t, d)
	stdin.Close()
	if err := sh.Wait(); err != nil {
		t.Errorf("bench lib: %v: %s", err, stderr.String())
	}
	for _, p := range pidsMentioning(work) {
		t.Errorf("process %d outlived stop_dockerds", p)
	}
	if m := mountsUnder(work); len(m) > 0 {
		t.Errorf("mounts left: %v", m)
	}
	if cgs, _ := filepath.Glob("/sys/fs/cgroup/*/berth-sl-" + name); len(cgs) > 0 {
		t.Errorf("cgroups left: %v", cgs)
	}
}

// runImportedBusybox imports a busybox root file system into d and runs a
// container from it, so that the daemon mounts layers and makes a network
// namespace as the benches' containers do.
func runImportedBusybox(t *testing.T, d *dockerDaemon) {
	t.Helper()
	d.ok(bytes.NewReader(busyboxRootfs(t)), "import", "-", "bb:lib")
	if out := d.ok(nil, "run", "--rm", "--network", "none", "bb:lib", "/bin/busybox", "echo", "ok"); out != "ok\n" {
		t.Errorf("docker run: %q", out)
	}
}
