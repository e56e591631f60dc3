package stats

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/cgroups/v3"
	"golang.org/x/sys/unix"
)

// The helper process: the test binary re-executed with helperEnv set waits
// for a line on stdin (sent once it sits in its cgroup), allocates and touches
// helperMBEnv MiB, prints "ready" and then waits for stdin to close.
const (
	helperEnv   = "BERTH_STATS_TEST_HELPER"
	helperMBEnv = "BERTH_STATS_TEST_MB"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "alloc" {
		os.Exit(allocHelper())
	}
	os.Exit(m.Run())
}

func allocHelper() int {
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		return 2
	}
	mb, err := strconv.Atoi(os.Getenv(helperMBEnv))
	if err != nil {
		return 2
	}
	mem, err := unix.Mmap(-1, 0, mb<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return 3
	}
	for i := 0; i < len(mem); i += os.Getpagesize() {
		mem[i] = 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, in)
	return 0
}

// testCgroup is a cgroup made for a test at /berth-stats-test-<rand> in every
// v1 controller the Reader reads, or in the unified hierarchy.
type testCgroup struct {
	path string
	mode cgroups.CGMode
	dirs map[string]string // controller ("" on v2) → directory
}

// liveReader returns a Reader for the host, skipping when this is not root.
func liveReader(t testing.TB) *Reader {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make cgroups")
	}
	r, err := NewReader()
	if err != nil {
		t.Skipf("no cgroups: %v", err)
	}
	return r
}

func randName(t testing.TB) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newTestCgroup makes a test cgroup and removes it (killing what is left in
// it) when the test ends.
func newTestCgroup(t testing.TB, r *Reader) *testCgroup {
	t.Helper()
	c := &testCgroup{path: "/berth-stats-test-" + randName(t), mode: r.Mode(), dirs: map[string]string{}}
	if c.mode == cgroups.Unified {
		c.dirs[""] = filepath.Join(defaultCgroupRoot, c.path)
	} else {
		for _, ctrl := range []string{"cpu", "cpuacct", "memory", "pids", "blkio"} {
			if _, err := os.Stat(filepath.Join(defaultCgroupRoot, ctrl)); err == nil {
				c.dirs[ctrl] = filepath.Join(defaultCgroupRoot, ctrl, c.path)
			}
		}
	}
	t.Cleanup(c.remove)
	for _, d := range c.dirs {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatalf("make test cgroup: %v", err)
		}
	}
	return c
}

// set writes a control file; ctrl is ignored on v2.
func (c *testCgroup) set(t testing.TB, ctrl, file, value string) {
	t.Helper()
	d := c.dirs[ctrl]
	if c.mode == cgroups.Unified {
		d = c.dirs[""]
	}
	if err := os.WriteFile(filepath.Join(d, file), []byte(value), 0); err != nil {
		t.Fatalf("set %s: %v", file, err)
	}
}

// add moves pid into the cgroup in every controller.
func (c *testCgroup) add(t testing.TB, pid int) {
	t.Helper()
	for _, d := range c.dirs {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			t.Fatalf("move %d into %s: %v", pid, d, err)
		}
	}
}

// remove kills what is left in the cgroup and removes its directories.
func (c *testCgroup) remove() {
	for _, d := range c.dirs {
		for range 50 {
			data, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
			pids, _ := parsePIDList(data)
			if err != nil || len(pids) == 0 {
				break
			}
			for _, p := range pids {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			time.Sleep(20 * time.Millisecond)
		}
		for range 50 {
			if err := os.Remove(d); err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// start runs cmd and kills and reaps it when the test ends.
func start(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

// spin starts a busy loop in c.
func spin(t testing.TB, c *testCgroup) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "while :; do :; done")
	start(t, cmd)
	c.add(t, cmd.Process.Pid)
	return cmd
}

// cpuOver reads c twice one second apart, each Read between two readings of
// the kernel's counters, and returns the CPU % with the bounds the kernel's
// counters set on it. A loose bracket (the test preempted around a Read) is
// measured again, a few times at most; the bounds hold either way.
func cpuOver(t *testing.T, r *Reader, c *testCgroup) (s Sample, lo, hi float64) {
	t.Helper()
	tg := Target{ID: "t", CgroupPath: c.path}
	for range 5 {
		prev := readBracketed(t, r, c, tg)
		time.Sleep(time.Second)
		cur := readBracketed(t, r, c, tg)
		s = Compute(prev.s, cur.s)
		lo, hi = cpuBounds(prev, cur)
		t.Logf("CPU %.2f%%, kernel bounds %.2f–%.2f%% (%v / %v)", s.CPUPercent, lo, hi, prev, cur)
		if hi-lo < 2 && lo > 0 {
			break
		}
	}
	return s, lo, hi
}

func TestLiveCPU(t *testing.T) {
	r := liveReader(t)
	tests := []struct {
		name  string
		limit func(t *testing.T, c *testCgroup)
	}{
		{"one busy core", func(*testing.T, *testCgroup) {}},
		{"half a core quota", func(t *testing.T, c *testCgroup) {
			if c.mode == cgroups.Unified {
				c.set(t, "", "cpu.max", "50000 100000")
				return
			}
			c.set(t, "cpu", "cpu.cfs_period_us", "100000")
			c.set(t, "cpu", "cpu.cfs_quota_us", "50000")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCgroup(t, r)
			tt.limit(t, c)
			spin(t, c)
			s, lo, hi := cpuOver(t, r, c)
			t.Logf("throttled %d periods / %v, pids %d", s.NrThrottled, time.Duration(s.ThrottledNS), s.PIDs)
			if s.CPUPercent < lo*(1-1e-9) || s.CPUPercent > hi*(1+1e-9) {
				t.Errorf("CPU %.2f%%, the kernel's counters over the same interval give %.2f–%.2f%%", s.CPUPercent, lo, hi)
			}
			if s.PIDs != 1 {
				t.Errorf("PIDs = %d, want 1", s.PIDs)
			}
		})
	}
}

// allocIn starts the helper, moves it into c and lets it allocate mb MiB. It
// returns the command and a reader of its stdout.
func allocIn(t *testing.T, c *testCgroup, mb int) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=alloc", helperMBEnv+"="+strconv.Itoa(mb))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start(t, cmd)
	t.Cleanup(func() { stdin.Close() })
	c.add(t, cmd.Process.Pid)
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewReader(stdout)
}

func TestLiveMemory(t *testing.T) {
	r := liveReader(t)
	c := newTestCgroup(t, r)
	c.set(t, "pids", "pids.max", "50")
	_, out := allocIn(t, c, 64)
	if line, err := out.ReadString('\n'); err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	s, err := r.Read(Target{ID: "m", CgroupPath: c.path})
	if err != nil {
		t.Fatal(err)
	}
	s = Compute(Sample{}, s)
	const want = 64 << 20
	t.Logf("mem %d MiB of %d MiB (%.2f%%), pids %d/%d", s.MemUsage>>20, s.MemLimit>>20, s.MemPercent, s.PIDs, s.PIDsLimit)
	if s.MemUsage < want*9/10 || s.MemUsage > want*11/10 {
		t.Fatalf("MemUsage %d, want within 10%% of %d", s.MemUsage, want)
	}
	if s.MemLimit != r.MemTotal() {
		t.Fatalf("unlimited MemLimit %d, want host MemTotal %d", s.MemLimit, r.MemTotal())
	}
	if s.PIDsLimit != 50 || s.PIDs < 1 {
		t.Fatalf("PIDs %d / limit %d, want ≥1 / 50", s.PIDs, s.PIDsLimit)
	}
}

func TestLiveOOM(t *testing.T) {
	r := liveReader(t)
	c := newTestCgroup(t, r)
	if c.mode == cgroups.Unified {
		c.set(t, "", "memory.max", "33554432")
		c.set(t, "", "memory.swap.max", "0")
	} else {
		c.set(t, "memory", "memory.limit_in_bytes", "33554432")
	}
	cmd, _ := allocIn(t, c, 96)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want killed by SIGKILL (OOM)", err)
	}
	s, err := r.Read(Target{ID: "o", CgroupPath: c.path})
	if err != nil {
		t.Fatal(err)
	}
	if s.OOMKills < 1 || s.MemLimit != 32<<20 {
		t.Fatalf("OOMKills %d, MemLimit %d; want ≥1 and 32 MiB", s.OOMKills, s.MemLimit)
	}
}

func TestLiveRemovedReadsZero(t *testing.T) {
	r := liveReader(t)
	c := newTestCgroup(t, r)
	cmd := spin(t, c)
	time.Sleep(100 * time.Millisecond)
	tg := Target{ID: "z", CgroupPath: c.path, NetNSPath: fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)}
	s, err := r.Read(tg)
	if err != nil || s.CPUUsageNS == 0 || s.PIDs != 1 {
		t.Fatalf("running: %+v, %v", s, err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	c.remove()
	s, err = r.Read(tg)
	if err != nil {
		t.Fatalf("removed cgroup: %v", err)
	}
	if zeroTime(s) != (Sample{ID: "z"}) {
		t.Fatalf("removed cgroup reads %+v, want zero", s)
	}
}
