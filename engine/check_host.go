package engine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"berth/engine/monitor"
)

// checkMounts reports mounts under the containers directory that no running
// container owns (a monitor that died before unmounting the root filesystem).
func (k *checker) checkMounts() error {
	prefix := k.e.containersDir() + "/"
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(k.e.containersDir()))
	if err != nil {
		return fmt.Errorf("check mounts: %w", err)
	}
	// Deepest first, so that nested mounts go before their parents.
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
	for _, m := range mounts {
		rel, ok := strings.CutPrefix(m.Mountpoint, prefix)
		if !ok {
			continue
		}
		id, _, _ := strings.Cut(rel, "/")
		if !idPattern().MatchString(id) || k.dead[id] || k.monitorAlive(id) {
			continue
		}
		unlock, ok := k.e.tryLock(id)
		if !ok {
			continue // being started or stopped
		}
		if !k.monitorAlive(id) {
			i := len(k.rep.Findings)
			k.add(CheckFinding{Kind: "mount", Object: m.Mountpoint, Problem: "mounted but no running container owns it"})
			if k.repair {
				err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH)
				if err == unix.EINVAL {
					err = nil // unmounted meanwhile
				}
				k.fix(i, "unmounted", err)
			}
		}
		unlock()
	}
	return nil
}

// cgroupDirs returns the cgroup directories of container id in every
// hierarchy (cgroup v1 controllers, the unified one, or a pure v2 mount).
func cgroupDirs(id string) []string { return cgroupDirsIn("/sys/fs/cgroup", id) }

// cgroupDirsIn returns the cgroup directories of container id under the
// cgroup mount point root: root/PATH, then root/H/PATH for each entry H of
// root in name order (a hierarchy, or a symbolic link to one, as cpu to
// cpu,cpuacct), where PATH is CgroupPath(id). It looks only at those paths:
// a glob of root/*/PATH would read every hierarchy's root directory and its
// berth directory (about a millisecond on cgroup v1, on each removal).
func cgroupDirsIn(root, id string) []string {
	var out []string
	if p := filepath.Join(root, CgroupPath(id)); dirExists(p) {
		out = append(out, p)
	}
	hs, _ := os.ReadDir(root)
	for _, h := range hs {
		if p := filepath.Join(root, h.Name(), CgroupPath(id)); dirExists(p) {
			out = append(out, p)
		}
	}
	return out
}

// checkCgroups reports cgroups of containers of this root that have no record.
// Every data root shares the cgroup parent, so only IDs this root knows of
// are looked at.
func (k *checker) checkCgroups(known map[string]bool) error {
	for _, id := range sortedKeys(known) {
		if _, ok := k.rows[id]; ok {
			continue
		}
		dirs := cgroupDirs(id)
		if len(dirs) == 0 {
			continue
		}
		unlock, ok := k.e.tryLock(id)
		if !ok {
			continue
		}
		i := len(k.rep.Findings)
		k.add(CheckFinding{Kind: "cgroup", Object: CgroupPath(id), Problem: "cgroup without a container"})
		if k.repair {
			k.fix(i, "removed", removeCgroup(dirs))
		}
		unlock()
	}
	return nil
}

// removeCgroup kills what still runs in the cgroup and removes its directories.
func removeCgroup(dirs []string) error {
	for _, d := range dirs {
		for _, pid := range cgroupProcs(d) {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	}
	var err error
	for try := 0; try < 100; try++ {
		err = nil
		for _, d := range dirs {
			if e := os.Remove(d); e != nil && !os.IsNotExist(e) {
				err = fmt.Errorf("remove cgroup %s: %w", d, e)
			}
		}
		if err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond) // killed processes take a moment to leave
	}
	return err
}

func cgroupProcs(dir string) []int {
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// checkMonitors reports monitor processes of this root whose container has
// no record (the monitor's only argument is containers/<id>/monitor.json).
func (k *checker) checkMonitors() error {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return fmt.Errorf("check monitors: %w", err)
	}
	prefix := k.e.containersDir() + "/"
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
		if len(args) != 2 || filepath.Base(string(args[0])) != "berth-monitor" {
			continue
		}
		rel, ok := strings.CutPrefix(string(args[1]), prefix)
		id := strings.TrimSuffix(rel, "/monitor.json")
		if !ok || !idPattern().MatchString(id) {
			continue
		}
		if _, ok := k.rows[id]; ok {
			continue
		}
		k.strayMonitor(id, pid)
	}
	return nil
}

func (k *checker) strayMonitor(id string, pid int) {
	unlock, ok := k.e.tryLock(id)
	if !ok {
		return
	}
	defer unlock()
	i := len(k.rep.Findings)
	k.add(CheckFinding{Kind: "monitor", Object: strconv.Itoa(pid), Problem: "monitor of container " + id[:12] + " without a record"})
	if k.repair {
		// The monitor first, so that it restarts nothing when its container dies.
		err := unix.Kill(pid, unix.SIGKILL)
		if err == unix.ESRCH {
			err = nil
		}
		waitGone(pid)
		k.killStray(id)
		k.fix(i, "killed", err)
	}
}

// waitGone waits (up to 10 s) until process pid has ended and been reaped.
func waitGone(pid int) {
	start := monitor.ProcStart(pid)
	for i := 0; i < 1000 && start != 0 && monitor.ProcStart(pid) == start; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}
