package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"berth/engine"
)

// cgroupFile reads a cgroup file of container id: v1 under the
// controller's hierarchy, v2 under the unified one.
func cgroupFile(t *testing.T, id, controller, v1, v2 string) string {
	t.Helper()
	var sfs unix.Statfs_t
	unix.Statfs("/sys/fs/cgroup", &sfs)
	p := filepath.Join("/sys/fs/cgroup", controller, engine.CgroupPath(id), v1)
	if sfs.Type == unix.CGROUP2_SUPER_MAGIC {
		p = filepath.Join("/sys/fs/cgroup", engine.CgroupPath(id), v2)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("cgroup: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func TestUpdateRunningContainerLive(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("run", "-d", "--name", "svc", "busybox", "sleep", "1000"))
	if got := c.ok("update", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", "--cpu-shares", "512", "svc"); got != "svc\n" {
		t.Fatalf("update printed %q", got)
	}
	check := func(when string) {
		t.Helper()
		mem := cgroupFile(t, id, "memory", "memory.limit_in_bytes", "memory.max")
		pids := cgroupFile(t, id, "pids", "pids.max", "pids.max")
		quota := cgroupFile(t, id, "cpu", "cpu.cfs_quota_us", "cpu.max")
		if mem != "67108864" || pids != "50" || (quota != "50000" && quota != "50000 100000") {
			t.Errorf("%s: cgroup memory %s pids %s cpu %s", when, mem, pids, quota)
		}
	}
	check("after update")
	got := c.ok("inspect", "-f", "{{json .HostConfig.Memory}} {{json .HostConfig.PidsLimit}} {{json .HostConfig.NanoCpus}} {{json .HostConfig.CpuShares}}", "svc")
	if got != "67108864 50 500000000 512\n" {
		t.Errorf("inspect after update: %q", got)
	}
	c.ok("restart", "-t", "1", "svc")
	check("after restart")
	c.ok("update", "--pids-limit", "-1", "svc")
	if got := cgroupFile(t, id, "pids", "pids.max", "pids.max"); got != "max" {
		t.Errorf("pids.max after --pids-limit -1: %q", got)
	}
	if got := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "event=update", "--format", "{{.Action}}"); got != "update\nupdate\n" {
		t.Errorf("update events: %q", got)
	}
}

func TestUpdateRefusesBadValuesAndChangesNothing(t *testing.T) {
	c := newCLI(t)
	id := strings.TrimSpace(c.ok("run", "-d", "--name", "svc", "--memory", "32m", "busybox", "sleep", "1000"))
	before := c.ok("inspect", "-f", "{{json .HostConfig}}", "svc")
	mem := cgroupFile(t, id, "memory", "memory.limit_in_bytes", "memory.max")
	c.ok("run", "-d", "--rm", "--name", "gone", "busybox", "sleep", "1000")
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"update", "--memory", "1k", "svc"}, "minimum allowed is 6MB"},
		{[]string{"update", "--memory", "lots", "svc"}, "invalid --memory"},
		{[]string{"update", "--cpus", "9999", "svc"}, "range of CPUs"},
		{[]string{"update", "--cpus", "0.0000000001", "svc"}, "nine decimal places"},
		{[]string{"update", "--cpuset-cpus", "999", "svc"}, "CPU 999 is not available"},
		{[]string{"update", "--memory-swap", "8m", "svc"}, "must be at least --memory"},
		{[]string{"update", "--restart", "sometimes", "svc"}, "invalid restart policy"},
		{[]string{"update", "svc"}, "provide one or more flags"},
		{[]string{"update", "--memory", "64m", "nosuch"}, "no such container"},
		{[]string{"update", "--restart", "always", "gone"}, "AutoRemove is enabled"},
	}
	for _, tt := range tests {
		_, errOut, code := c.run("", tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.err) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want a one-line error with %q", tt.args, code, errOut, tt.err)
		}
	}
	if after := c.ok("inspect", "-f", "{{json .HostConfig}}", "svc"); after != before {
		t.Errorf("refused updates changed the record:\n%s\n%s", before, after)
	}
	if got := cgroupFile(t, id, "memory", "memory.limit_in_bytes", "memory.max"); got != mem {
		t.Errorf("refused updates changed the cgroup: %s, was %s", got, mem)
	}
}

func TestUpdateStoppedContainerAndRestartPolicy(t *testing.T) {
	c := newCLI(t)
	c.ok("create", "--name", "later", "busybox", "sleep", "1000")
	c.ok("update", "--memory", "48m", "--restart", "unless-stopped", "later")
	if got := c.ok("inspect", "-f", "{{json .HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}", "later"); got != "50331648 unless-stopped\n" {
		t.Errorf("inspect after update of a created container: %q", got)
	}
	id := strings.TrimSpace(c.ok("inspect", "-f", "{{.Id}}", "later"))
	c.ok("start", "later")
	if got := cgroupFile(t, id, "memory", "memory.limit_in_bytes", "memory.max"); got != "50331648" {
		t.Errorf("memory limit after start: %s", got)
	}
	// A new restart policy applies to the running container's next exit.
	c.ok("run", "-d", "--name", "flaky", "busybox", "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 3")
	c.ok("update", "--restart", "on-failure:1", "flaky")
	c.ok("exec", "flaky", "touch", "/tmp/go")
	deadline := time.Now().Add(30 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		got = c.ok("inspect", "-f", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", "flaky")
		if got == "exited 1 3\n" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("flaky after update --restart on-failure:1: %q, want exited after one restart", got)
}

// TestParseUpdateValues: update's --cpus and --memory-swap read as run's
// (engine/opts), and refuse 0, which update cannot mean.
func TestParseUpdateValues(t *testing.T) {
	parse := func(flag, v string) (engine.UpdateOptions, error) {
		f := &updateFlags{}
		fs := pflag.NewFlagSet("update", pflag.ContinueOnError)
		f.register(fs)
		if err := fs.Parse([]string{"--" + flag + "=" + v}); err != nil {
			t.Fatal(err)
		}
		return f.options(fs)
	}
	cpus := []struct {
		in   string
		want int64
		err  string
	}{
		{"0.5", 5e8, ""}, {"2", 2e9, ""}, {"0.000000001", 1, ""}, {"1.25", 1.25e9, ""},
		{"0", 0, "positive number"}, {"-1", 0, "must not be negative"}, {"abc", 0, "not a number"},
		{"0.0000000001", 0, "nine decimal places"}, {"1e30", 0, "too many CPUs"},
	}
	for _, tt := range cpus {
		o, err := parse("cpus", tt.in)
		if (tt.err == "" && (err != nil || *o.NanoCPUs != tt.want)) || (tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err))) {
			t.Errorf("--cpus %q = %v, %v", tt.in, o.NanoCPUs, err)
		}
	}
	swaps := []struct {
		in   string
		want int64
	}{{"-1", -1}, {"128m", 128 << 20}, {"1g", 1 << 30}, {"x", 0}, {"0", 0}, {"-2", 0}}
	for _, tt := range swaps {
		o, err := parse("memory-swap", tt.in)
		if (tt.want == 0) != (err != nil) || (err == nil && *o.MemorySwap != tt.want) {
			t.Errorf("--memory-swap %q = %v, %v", tt.in, o.MemorySwap, err)
		}
	}
}

func TestUpdateFlagsOnlyWhatWasGiven(t *testing.T) {
	parse := func(args ...string) (engine.UpdateOptions, error) {
		f := &updateFlags{}
		fs := pflag.NewFlagSet("update", pflag.ContinueOnError)
		f.register(fs)
		fs.String("root", "", "")
		if err := fs.Parse(args); err != nil {
			return engine.UpdateOptions{}, err
		}
		return f.options(fs)
	}
	if _, err := parse("--root", "/x"); err == nil || !strings.Contains(err.Error(), "one or more flags") {
		t.Errorf("no update flag: %v", err)
	}
	o, err := parse("-m", "64m", "--pids-limit", "-1", "--restart", "on-failure:2", "--cpu-shares", "0", "--cpuset-cpus", "")
	if err != nil || *o.Memory != 64<<20 || *o.PidsLimit != -1 || o.Restart.MaximumRetryCount != 2 || o.CPUShares != nil ||
		o.CpusetCpus != nil || o.NanoCPUs != nil || o.MemorySwap != nil {
		t.Errorf("update options: %+v %v", o, err)
	}
}
