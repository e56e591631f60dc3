package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// simulateReboot does to the test's own data root what a host reboot does:
// every container process and monitor dies, the root filesystems and network
// namespaces are unmounted, the cgroups go and the runtime directory
// (<root>/run) is empty.
func (c *cli) simulateReboot(ids []string) {
	c.t.Helper()
	for _, id := range ids {
		var st struct{ Pid, MonitorPid int }
		if b, err := os.ReadFile(filepath.Join(c.root, "containers", id, "state.json")); err == nil {
			_ = json.Unmarshal(b, &st)
		}
		// The monitor first, or it would restart its container.
		if st.MonitorPid > 0 {
			_ = unix.Kill(st.MonitorPid, unix.SIGKILL)
			waitProcGone(c.t, st.MonitorPid)
		}
		cgroups, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", "berth", id))
		for _, cg := range cgroups {
			b, _ := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = unix.Kill(pid, unix.SIGKILL)
				}
			}
		}
		for _, cg := range cgroups {
			removeCgroupDir(c.t, cg)
		}
	}
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(c.root))
	if err != nil {
		c.t.Fatal(err)
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
	for _, m := range mounts {
		if err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
			c.t.Fatalf("unmount %s: %v", m.Mountpoint, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(c.root, "run")); err != nil {
		c.t.Fatal(err)
	}
}

func waitProcGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		if _, err := os.Stat(filepath.Join("/proc", itoa(pid))); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d does not end", pid)
}

// removeCgroupDir removes an emptied cgroup, waiting for killed processes to leave.
func removeCgroupDir(t *testing.T, dir string) {
	t.Helper()
	var err error
	for i := 0; i < 3000; i++ {
		if err = os.Remove(dir); err == nil || os.IsNotExist(err) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("remove cgroup %s: %v", dir, err)
}

// TestSystemBootRestartsAfterReboot checks that system boot starts again
// exactly the containers whose restart policy brings them back after a
// reboot, and that a second run starts nothing.
func TestSystemBootRestartsAfterReboot(t *testing.T) {
	c := newCLI(t)
	ids := map[string]string{}
	for _, r := range []struct{ name, policy string }{
		{"always", "always"}, {"unless", "unless-stopped"}, {"never", "no"}, {"stopped", "unless-stopped"},
	} {
		ids[r.name] = strings.TrimSpace(c.ok("run", "-d", "--name", r.name, "--restart", r.policy, "busybox", "sleep", "1000"))
	}
	c.ok("stop", "-t", "0", "stopped")
	c.simulateReboot([]string{ids["always"], ids["unless"], ids["never"], ids["stopped"]})
	// A reader before the boot unit repairs the state of what it looks at.
	c.ok("inspect", "always")

	started := strings.Fields(c.ok("system", "boot"))
	sort.Strings(started)
	want := []string{ids["always"], ids["unless"]}
	sort.Strings(want)
	if strings.Join(started, " ") != strings.Join(want, " ") {
		t.Errorf("system boot started %v, want %v (always, unless)", started, want)
	}
	ps := c.ok("ps", "--format", "{{.Names}} {{.Status}}")
	lines := strings.Split(strings.TrimSpace(ps), "\n")
	sort.Strings(lines)
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "always Up") || !strings.HasPrefix(lines[1], "unless Up") {
		t.Errorf("ps after boot: %q, want always and unless Up", ps)
	}
	if out := c.ok("system", "boot"); out != "" {
		t.Errorf("second system boot started %q, want nothing", out)
	}
	c.wantClean()
}
