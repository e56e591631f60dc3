package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/engine"
	"berth/stats"
)

func TestStatsRowFormat(t *testing.T) {
	id := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		s    stats.Sample
		want statsRow
	}{
		{"docker's units", stats.Sample{CPUPercent: 0.0512, MemUsage: 1258291, MemLimit: 25232932864, MemPercent: 0.00499,
			NetRxBytes: 1100, BlkRead: 4 << 20, BlkWrite: 1500000, PIDs: 3},
			statsRow{ID: id[:12], Name: "web", Container: "web", CPUPerc: "0.05%", MemUsage: "1.2MiB / 23.5GiB",
				MemPerc: "0.00%", NetIO: "1.1kB / 0B", BlockIO: "4.19MB / 1.5MB", PIDs: "3"}},
		{"stopped", stats.Sample{},
			statsRow{ID: id[:12], Name: "web", Container: "web", CPUPerc: "0.00%", MemUsage: "0B / 0B",
				MemPerc: "0.00%", NetIO: "0B / 0B", BlockIO: "0B / 0B", PIDs: "0"}},
		{"unreadable", stats.Sample{Err: errors.New("boom")},
			statsRow{ID: id[:12], Name: "web", Container: "web", CPUPerc: "--", MemUsage: "-- / --",
				MemPerc: "--", NetIO: "--", BlockIO: "--", PIDs: "--"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := newStatsRow(engine.StatsEntry{ID: id, Name: "web", Sample: tc.s}, "web", true)
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestStatsFrameRedraw(t *testing.T) {
	var buf bytes.Buffer
	a := &app{stdout: &buf}
	ent := engine.StatsEntry{ID: strings.Repeat("1", 64), Name: "web"}
	for _, redraw := range []bool{false, true} {
		buf.Reset()
		if err := a.printStats([]engine.StatsEntry{ent}, nil, statsFlags{format: statsTable}, redraw); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.HasPrefix(out, clearHome) != redraw || !strings.Contains(out, "CONTAINER ID   NAME") ||
			!strings.Contains(out, "111111111111   web") {
			t.Errorf("redraw %v: frame %q", redraw, out)
		}
	}
}

// A container on the host network shows no network I/O, as docker stats
// shows 0B / 0B, rather than the host's traffic.
func TestStatsHostNetworkCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "hostnet", "--network", "host", "busybox", "sleep", "1000")
	if out := c.ok("stats", "--no-stream", "--format", "{{.Name}} {{.NetIO}}", "hostnet"); out != "hostnet 0B / 0B\n" {
		t.Errorf("stats of a host-network container: %q, want %q", out, "hostnet 0B / 0B\n")
	}
}

func TestStatsAndTopCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "web", "busybox", "sleep", "1000")
	c.ok("create", "--name", "idle", "busybox", "true")

	out := c.ok("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.MemUsage}}", "web")
	if !regexp.MustCompile(`^web \d+\.\d\d% [\d.]+(B|KiB|MiB) / [\d.]+GiB\n$`).MatchString(out) {
		t.Errorf("stats --format: %q", out)
	}
	out = c.ok("stats", "--no-stream", "-a")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$`).MatchString(lines[0]) ||
		!strings.Contains(out, "idle") || !regexp.MustCompile(`(?m)^[0-9a-f]{12} +web +`).MatchString(out) {
		t.Errorf("stats -a table:\n%s", out)
	}
	var row map[string]string
	if err := json.Unmarshal([]byte(c.ok("stats", "--no-stream", "--format", "json", "web")), &row); err != nil ||
		row["Name"] != "web" || row["Container"] != "web" || row["PIDs"] != "1" || len(row) != 9 {
		t.Errorf("stats json: %v %v", row, err)
	}
	// Streaming into a pipe appends frames without clearing the screen.
	if stream, n := statsFrames(t, c.root, 2); n < 2 || strings.Contains(stream, clearHome) {
		t.Errorf("stats stream into a pipe: %d frames: %q", n, stream)
	}

	// C is %CPU over the process's lifetime, which the kernel's counters
	// bound from readings before and after; no constant holds on every machine.
	pid, _ := strconv.Atoi(strings.TrimSpace(c.ok("inspect", "-f", "{{.State.Pid}}", "web")))
	before := readProcTimes(t, pid)
	out = c.ok("top", "web")
	after := readProcTimes(t, pid)
	m := regexp.MustCompile(`^UID +PID +PPID +C +STIME +TTY +TIME +CMD\nroot +(\d+) +\d+ +(\d+) +\d\d:\d\d +\? +00:00:00 +sleep 1000\n$`).FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(pid) {
		t.Errorf("top (container pid %d):\n%s", pid, out)
	} else if cpu, _ := strconv.ParseFloat(m[2], 64); cpu < math.Floor(before.percent(after)) || cpu > after.percent(before) {
		t.Errorf("top: C = %v, the kernel's counters give %.2f–%.2f", cpu, before.percent(after), after.percent(before))
	}
	if out = c.ok("top", "web", "-o", "nspid,comm"); out != "NSPID               COMMAND\n1                   sleep\n" {
		t.Errorf("top -o nspid,comm: %q", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stats", "--no-stream", "nosuch"}, "no such container: nosuch"},
		{[]string{"stats", "--no-stream", "--format", "{{.Name"}, "template"},
		{[]string{"stats", "--no-stream", "--format", "{{.Nope}}"}, "can't evaluate field Nope"},
		{[]string{"top", "nosuch"}, "no such container: nosuch"},
		{[]string{"top", "idle"}, "container idle is not running"},
		{[]string{"top", "web", "-l"}, `unsupported ps option "l"`},
		{[]string{"top", "web", "-o", "pid,wchan"}, `unsupported ps column "wchan"`},
	} {
		_, errOut, code := c.run("", tc.args...)
		if code != 125 || !strings.Contains(errOut, tc.want) {
			t.Errorf("berth %v: exit %d, stderr %q, want 125 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// statsFrames runs `berth stats` into a pipe until it has written n frames
// (or ended), then stops it; it returns what it wrote and the frames counted.
// Only a hang is bounded in time: a slow machine just waits longer.
func statsFrames(t *testing.T, root string, n int) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "berth"), "--root", root, "stats")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	var out strings.Builder
	frames := 0
	sc := bufio.NewScanner(pipe)
	for frames < n && sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "CONTAINER ID") {
			frames++
		}
	}
	return out.String(), frames
}

// procTimes is a reading of a process's CPU time and age from /proc.
type procTimes struct {
	ticks, start, uptime float64 // utime+stime and starttime in 1/100 s; /proc/uptime in s
}

// percent is ps's %CPU from p's CPU time and other's age (+Inf for no age).
func (p procTimes) percent(other procTimes) float64 {
	if life := other.uptime*100 - other.start; life > 0 {
		return p.ticks / life * 100
	}
	return math.Inf(1)
}

func readProcTimes(t *testing.T, pid int) procTimes {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	// After the command's closing parenthesis: state is field 3, utime 14, stime 15, starttime 22.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return procTimes{ticks: num(f[14-3]) + num(f[15-3]), start: num(f[22-3]), uptime: num(strings.Fields(string(up))[0])}
}
