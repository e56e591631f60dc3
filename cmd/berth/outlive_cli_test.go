package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"berth/engine/monitor"
)

// counterScript prints a numbered line every few milliseconds.
const counterScript = `i=0; while :; do i=$((i+1)); echo $i; sleep 0.005; done`

// berthPids lists the berth processes (not the monitors) working on this
// root: every process whose command is bin/berth with --root c.root.
func (c *cli) berthPids() []int {
	c.t.Helper()
	procs, err := os.ReadDir("/proc")
	if err != nil {
		c.t.Fatal(err)
	}
	var pids []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 2 && args[0] == filepath.Join(binDir, "berth") && args[1] == "--root" && args[2] == c.root {
			pids = append(pids, pid)
		}
	}
	return pids
}

// numbersPast waits until the container's log holds a line numbered past n
// and returns the log's numbers.
func (c *cli) numbersPast(name string, n int) []int {
	c.t.Helper()
	var got []int
	c.waitFor(name+" logs past line "+strconv.Itoa(n), func(out string) bool {
		got = numbers(c.t, out)
		return len(got) > 0 && got[len(got)-1] > n
	}, "logs", name)
	return got
}

// TestContainersOutliveBerth kills every berth process (SIGKILL) while two
// containers run and log, one of them with its attached `berth run` client
// and a `berth logs -f` among the killed: afterwards the containers still
// run, their logs hold every numbered line with no gap, and StartedAt is
// still the real start.
func TestContainersOutliveBerth(t *testing.T) {
	c := newCLI(t)
	before := time.Now().UTC()
	c.ok("run", "-d", "--name", "detached", "busybox", "sh", "-c", counterScript)
	attached := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "run", "--name", "attached", "busybox", "sh", "-c", counterScript)
	if err := attached.Start(); err != nil {
		t.Fatal(err)
	}
	follow := exec.Command(filepath.Join(binDir, "berth"), "--root", c.root, "logs", "-f", "detached")
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	c.numbersPast("attached", 20)
	c.numbersPast("detached", 20)
	started := map[string]string{}
	for _, name := range []string{"detached", "attached"} {
		started[name] = strings.TrimSpace(c.ok("inspect", "-f", "{{.State.StartedAt}}", name))
		at, err := time.Parse(time.RFC3339Nano, started[name])
		if err != nil || at.Before(before) || at.After(time.Now()) {
			t.Fatalf("%s: StartedAt %q (%v), want a time since %v", name, started[name], err, before)
		}
	}
	pids := c.berthPids()
	if len(pids) != 2 {
		t.Fatalf("berth processes of the root: %v, want the attached run and logs -f", pids)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	attached.Wait()
	follow.Wait()
	killedAt := map[string]int{}
	for _, name := range []string{"detached", "attached"} {
		got := numbers(t, c.ok("logs", name))
		killedAt[name] = got[len(got)-1]
	}
	for _, name := range []string{"detached", "attached"} {
		// The monitor goes on logging with no berth process left.
		if got := c.numbersPast(name, killedAt[name]+50); !consecutive(got, got[len(got)-1]) || got[0] != 1 {
			t.Errorf("%s: logs after berth was killed have a gap: %v", name, got)
		}
		st := strings.TrimSpace(c.ok("inspect", "-f", "{{.State.Status}} {{.State.StartedAt}}", name))
		if st != "running "+started[name] {
			t.Errorf("%s after berth was killed: %q, want running since %s", name, st, started[name])
		}
	}
	c.ok("stop", "-t", "0", "detached", "attached")
	for _, name := range []string{"detached", "attached"} {
		if got := numbers(t, c.ok("logs", name)); !consecutive(got, got[len(got)-1]) || got[0] != 1 {
			t.Errorf("%s: logs after stop have a gap: %v", name, got)
		}
	}
}

// killMonitor SIGKILLs the monitor of a container, whose init it is the
// parent of, and waits until it is gone.
func (c *cli) killMonitor(name string) {
	c.t.Helper()
	id := strings.TrimSpace(c.ok("inspect", "-f", "{{.Id}}", name))
	st, err := monitor.ReadState(filepath.Join(c.root, "containers", id, "state.json"))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := syscall.Kill(st.MonitorPid, syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	// Gone, or a zombie that its parent (the host's init) has yet to reap.
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(st.MonitorPid) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMonitorKillFirstCommand kills a running container's monitor and runs
// one command right after, as a user who notices would: ps and inspect
// report the container exited (never running), and start brings it back,
// its log appended to.
func TestMonitorKillFirstCommand(t *testing.T) {
	c := newCLI(t)
	firsts := map[string]struct {
		args []string
		want string
	}{
		"ps":      {[]string{"ps", "-a", "--filter", "name=mon-ps", "--format", "{{.Names}} {{.State}}"}, "mon-ps exited\n"},
		"inspect": {[]string{"inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Pid}}", "mon-inspect"}, "exited false 0\n"},
		"start":   {[]string{"start", "mon-start"}, "mon-start\n"},
	}
	for _, first := range []string{"ps", "inspect", "start"} {
		name := "mon-" + first
		c.ok("run", "-d", "--name", name, "busybox", "sh", "-c", "echo started; exec sleep 1000")
		c.waitFor(name+" started", func(out string) bool { return out == "started\n" }, "logs", name)
		c.killMonitor(name)
		if got := c.ok(firsts[first].args...); got != firsts[first].want {
			t.Errorf("%s as the first command after the monitor's kill: %q, want %q", first, got, firsts[first].want)
		}
		if first != "start" {
			c.ok("start", name)
		}
		if got := c.ok("inspect", "-f", "{{.State.Status}}", name); got != "running\n" {
			t.Errorf("%s after start: %q, want running", name, got)
		}
		c.waitFor(name+" logs appended", func(out string) bool { return out == "started\nstarted\n" }, "logs", name)
	}
}
