package stats

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"berth/netmgr/nettest"
)

// testNetPair makes two network namespaces of the test's own (unnamed, held
// by descriptors: nothing on the host names them) joined by a veth pair with
// 10.253.77.1/30 (in a) and 10.253.77.2/30 (in b), made inside a with its
// peer put straight into b, so that no end is ever in the host namespace.
// Both go when the test ends.
func testNetPair(t testing.TB) (a, b *nettest.Namespace) {
	t.Helper()
	for _, tool := range []string{"ip", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed for test setup")
		}
	}
	a, b = nettest.NewNamespace(t), nettest.NewNamespace(t)
	err := nettest.Veth(
		nettest.VethEnd{NS: a.Handle(), Name: "bsta", Addr: netip.MustParsePrefix("10.253.77.1/30")},
		nettest.VethEnd{NS: b.Handle(), Name: "bstb", Addr: netip.MustParsePrefix("10.253.77.2/30")})
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// dialIn makes a UDP socket inside ns (on a locked thread that returns to
// its namespace) connected to addr.
func dialIn(t testing.TB, ns *nettest.Namespace, addr string) net.Conn {
	t.Helper()
	c, err := ns.Dial("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// allThreadsInOwnNetns fails if any thread of this process is in another
// network namespace than the process's main one.
func allThreadsInOwnNetns(t *testing.T) {
	t.Helper()
	want, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := filepath.Glob("/proc/self/task/*/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tasks {
		if got, err := os.Readlink(p); err == nil && got != want {
			t.Fatalf("thread %s is in %s, want %s", p, got, want)
		}
	}
}

// netCounters are a namespace's rx/tx bytes and packets over its
// non-loopback links, as iproute2 reads them from the kernel.
type netCounters struct{ rxBytes, txBytes, rxPackets, txPackets uint64 }

func readKernelNet(t *testing.T, ns *nettest.Namespace) netCounters {
	t.Helper()
	out, err := exec.Command("nsenter", "--net="+ns.Path(), "ip", "-s", "-j", "link", "show").Output()
	if err != nil {
		t.Fatalf("nsenter --net=%s ip -s -j link show: %v", ns.Path(), err)
	}
	var links []struct {
		LinkType string `json:"link_type"`
		Stats    struct {
			RX struct{ Bytes, Packets uint64 } `json:"rx"`
			TX struct{ Bytes, Packets uint64 } `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		t.Fatal(err)
	}
	var n netCounters
	for _, l := range links {
		if l.LinkType != "loopback" {
			n.rxBytes += l.Stats.RX.Bytes
			n.txBytes += l.Stats.TX.Bytes
			n.rxPackets += l.Stats.RX.Packets
			n.txPackets += l.Stats.TX.Packets
		}
	}
	return n
}

// TestLiveNet sends datagrams out of a namespace's veth and over its
// loopback, and judges the Reader's counters against the kernel's, read
// before and after: they must lie between (loopback not counted).
func TestLiveNet(t *testing.T) {
	r := liveReader(t)
	c := newTestCgroup(t, r)
	a, _ := testNetPair(t)
	tg := Target{ID: "n", CgroupPath: c.path, NetNSPath: a.Path()}
	payload := make([]byte, 1000)
	for _, addr := range []string{"10.253.77.2:9", "127.0.0.1:9"} {
		conn := dialIn(t, a, addr)
		for range 20 {
			// Port 9 is closed: an ICMP reply fails the next write on this
			// connected socket with ECONNREFUSED (nothing sent then).
			if _, err := conn.Write(payload); err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatal(err)
			}
		}
	}
	// Wait for datagrams queued behind ARP to leave (only a hang is bounded).
	for deadline := time.Now().Add(time.Minute); readKernelNet(t, a).txBytes < 1000; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no datagram left the veth in a minute")
		}
	}
	lo := readKernelNet(t, a)
	s, err := r.Read(tg)
	if err != nil {
		t.Fatal(err)
	}
	hi := readKernelNet(t, a)
	t.Logf("rx %d B %d pkts, tx %d B %d pkts; kernel %+v .. %+v", s.NetRxBytes, s.NetRxPackets, s.NetTxBytes, s.NetTxPackets, lo, hi)
	for _, v := range []struct {
		name           string
		got, low, high uint64
	}{
		{"rx bytes", s.NetRxBytes, lo.rxBytes, hi.rxBytes},
		{"tx bytes", s.NetTxBytes, lo.txBytes, hi.txBytes},
		{"rx packets", s.NetRxPackets, lo.rxPackets, hi.rxPackets},
		{"tx packets", s.NetTxPackets, lo.txPackets, hi.txPackets},
	} {
		if v.got < v.low || v.got > v.high {
			t.Errorf("%s = %d, the kernel read %d before and %d after", v.name, v.got, v.low, v.high)
		}
	}
	allThreadsInOwnNetns(t)

	gone := Target{ID: "n", CgroupPath: c.path, NetNSPath: filepath.Join(t.TempDir(), "absent")}
	s, err = r.Read(gone)
	if err != nil || s.NetRxBytes != 0 || s.NetTxBytes != 0 {
		t.Fatalf("absent netns: %+v, %v; want zero network counters, no error", s, err)
	}
}

func TestLiveTop(t *testing.T) {
	r := liveReader(t)
	c := newTestCgroup(t, r)
	cmd := spin(t, c)
	pid := cmd.Process.Pid
	// Let it run a little, so that its CPU time and %CPU are not zero (no
	// speed is assumed: the deadline only stops a hang).
	for deadline := time.Now().Add(time.Minute); readKernelProc(t, pid).ticks < 10; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the busy loop got no CPU time in a minute")
		}
	}
	before := readKernelProc(t, pid)
	procs, err := Top(c.path)
	if err != nil {
		t.Fatal(err)
	}
	after := readKernelProc(t, pid)
	if len(procs) != 1 {
		t.Fatalf("Top = %+v, want the one busy process", procs)
	}
	p := procs[0]
	t.Logf("%+v", p)
	switch {
	case p.PID != pid || p.NSPID != p.PID:
		t.Fatalf("PID %d NSPID %d, want %d in the host pid namespace", p.PID, p.NSPID, pid)
	case p.PPID != os.Getpid():
		t.Fatalf("PPID %d, want %d", p.PPID, os.Getpid())
	case p.Command != "/bin/sh -c while :; do :; done":
		t.Fatalf("Command %q", p.Command)
	case p.User != "root" || p.UID != 0:
		t.Fatalf("User %q UID %d, want root 0", p.User, p.UID)
	case p.State != "R":
		t.Fatalf("State %q, want R", p.State)
	case p.RSS == 0 || p.VSZ < p.RSS:
		t.Fatalf("RSS %d VSZ %d", p.RSS, p.VSZ)
	}
	if want := before.started(); !p.Started.Equal(want) {
		t.Errorf("Started %v, the kernel says %v", p.Started, want)
	}
	if lo, hi := before.cpuTime(), after.cpuTime(); p.CPUTime < lo || p.CPUTime > hi {
		t.Errorf("CPUTime %v, the kernel read %v before and %v after", p.CPUTime, lo, hi)
	}
	// ps's %CPU: CPU time over lifetime; the bounds pair the least CPU time
	// with the longest lifetime and the other way round.
	lo, hi := before.cpuTime().Seconds()/after.life()*100, after.cpuTime().Seconds()/before.life()*100
	if p.CPUPercent < lo*(1-1e-9) || p.CPUPercent > hi*(1+1e-9) {
		t.Errorf("CPUPercent %.2f, the kernel's counters give %.2f–%.2f", p.CPUPercent, lo, hi)
	}
}

// kernelProc is one reading of a process's times from /proc, made without
// the package's parsers.
type kernelProc struct {
	ticks, startTicks uint64  // utime+stime and starttime, in USER_HZ ticks
	uptime            float64 // /proc/uptime, seconds
	bootTime          int64   // btime of /proc/stat
}

func readKernelProc(t *testing.T, pid int) kernelProc {
	t.Helper()
	var k kernelProc
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command's closing parenthesis start with the state (3).
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	k.ticks = mustUint(t, f[14-3]) + mustUint(t, f[15-3])
	k.startTicks = mustUint(t, f[22-3])
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	if k.uptime, err = strconv.ParseFloat(strings.Fields(string(up))[0], 64); err != nil {
		t.Fatal(err)
	}
	ps, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(ps), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "btime" {
			k.bootTime = int64(mustUint(t, f[1]))
		}
	}
	return k
}

func (k kernelProc) cpuTime() time.Duration {
	return time.Duration(k.ticks) * time.Second / userHZ
}

func (k kernelProc) life() float64 { return k.uptime - float64(k.startTicks)/userHZ }

func (k kernelProc) started() time.Time {
	return time.Unix(k.bootTime, 0).Add(time.Duration(k.startTicks) * time.Second / userHZ)
}
