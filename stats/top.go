package stats

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/errdefs"
)

// Process is one process of a container, as `docker top` lists it.
type Process struct {
	// PID is the process ID on the host.
	PID int
	// NSPID is the process ID inside the container's PID namespace (the last
	// field of NSpid in /proc/<pid>/status).
	NSPID int
	// User is the effective user's name from the container's /etc/passwd, or
	// the numeric UID when it has none.
	User string
	// UID is the effective user ID.
	UID int
	// CPUPercent is CPU time over lifetime × 100, as ps computes %CPU.
	CPUPercent float64
	// CPUTime is the user plus system CPU time used so far.
	CPUTime time.Duration
	// RSS is the resident set size in bytes.
	RSS uint64
	// VSZ is the virtual memory size in bytes.
	VSZ uint64
	// Started is when the process started.
	Started time.Time
	// Command is the full command line, arguments joined by spaces; for
	// processes without one (zombies) the name in brackets.
	Command string
	// PPID is the parent's host PID.
	PPID int
	// State is the one-letter state from /proc/<pid>/stat (R, S, D, Z, ...).
	State string
	// Stat is ps's STAT: State with the BSD flags procps adds (Ss+ for the
	// session leader in its terminal's foreground, Sl for a threaded one).
	Stat string
}

// Top lists the processes in the cgroup at cgroupPath ("/berth/<id>") on this
// host, read from /proc. A cgroup that does not exist is an
// errdefs.ErrNotFound error.
func Top(cgroupPath string) ([]Process, error) {
	r, err := NewReader()
	if err != nil {
		return nil, fmt.Errorf("top %s: %w", cgroupPath, err)
	}
	return r.Top(cgroupPath)
}

// Top lists the processes in the cgroup at cgroupPath, reading cgroup.procs
// of the pids (else memory, else cpu) controller in v1 or the unified
// directory in v2, and each process from the Reader's procfs.
func (r *Reader) Top(cgroupPath string) ([]Process, error) {
	pids, err := r.cgroupPIDs(cgroupPath)
	if err != nil {
		return nil, fmt.Errorf("top %s: %w", cgroupPath, err)
	}
	h, err := r.hostTimes()
	if err != nil {
		return nil, fmt.Errorf("top %s: %w", cgroupPath, err)
	}
	var users map[int]string
	out := make([]Process, 0, len(pids))
	for _, pid := range pids {
		p, err := r.readProcess(pid, h)
		if err != nil {
			if isGone(err) {
				continue // exited since cgroup.procs was read
			}
			return nil, fmt.Errorf("top %s: %w", cgroupPath, err)
		}
		if users == nil {
			users = readPasswd(filepath.Join(r.procRoot, strconv.Itoa(pid), "root", "etc", "passwd"))
		}
		p.User = strconv.Itoa(p.UID)
		if name, ok := users[p.UID]; ok {
			p.User = name
		}
		out = append(out, p)
	}
	return out, nil
}

// cgroupPIDs reads the PIDs listed in the cgroup's cgroup.procs.
func (r *Reader) cgroupPIDs(cgPath string) ([]int, error) {
	if !filepath.IsAbs(cgPath) || filepath.Clean(cgPath) != cgPath {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("cgroup path %q must be absolute and clean", cgPath))
	}
	dirs := []string{filepath.Join(r.root, cgPath)}
	if r.mode != cgroups.Unified {
		dirs = dirs[:0]
		for _, c := range []string{"pids", "memory", "cpu", "cpuacct"} {
			dirs = append(dirs, filepath.Join(r.root, c, cgPath))
		}
	}
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			if isNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("read cgroup.procs: %w", err)
		}
		return parsePIDList(data)
	}
	return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("cgroup %s not found", cgPath))
}

// hostInfo holds host values needed to turn /proc/<pid>/stat into times.
type hostInfo struct {
	bootTime time.Time
	uptime   float64 // seconds
	pageSize uint64
}

// hostTimes reads boot time and uptime.
func (r *Reader) hostTimes() (hostInfo, error) {
	data, err := os.ReadFile(filepath.Join(r.procRoot, "stat"))
	if err != nil {
		return hostInfo{}, fmt.Errorf("read boot time: %w", err)
	}
	ps, err := parseProcStat(data)
	if err != nil {
		return hostInfo{}, err
	}
	data, err = os.ReadFile(filepath.Join(r.procRoot, "uptime"))
	if err != nil {
		return hostInfo{}, fmt.Errorf("read uptime: %w", err)
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return hostInfo{}, fmt.Errorf("parse uptime %q: empty", data)
	}
	up, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return hostInfo{}, fmt.Errorf("parse uptime: %w", err)
	}
	return hostInfo{bootTime: time.Unix(ps.bootTime, 0), uptime: up, pageSize: uint64(os.Getpagesize())}, nil
}

// readProcess reads one process from procfs.
func (r *Reader) readProcess(pid int, h hostInfo) (Process, error) {
	dir := filepath.Join(r.procRoot, strconv.Itoa(pid))
	statData, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Process{}, fmt.Errorf("read process %d: %w", pid, err)
	}
	st, err := parsePIDStat(statData)
	if err != nil {
		return Process{}, fmt.Errorf("read process %d: %w", pid, err)
	}
	statusData, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return Process{}, fmt.Errorf("read process %d: %w", pid, err)
	}
	status, err := parsePIDStatus(statusData)
	if err != nil {
		return Process{}, fmt.Errorf("read process %d: %w", pid, err)
	}
	cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil {
		return Process{}, fmt.Errorf("read process %d: %w", pid, err)
	}
	p := Process{
		PID: pid, NSPID: status.nsPID, UID: status.uid, PPID: st.ppid, State: st.state,
		Stat: bsdStat(pid, st, status.locked),
		RSS:  st.rssPages * h.pageSize, VSZ: st.vsize,
		CPUTime: time.Duration(st.utime+st.stime) * time.Second / clockTicks,
		Started: h.bootTime.Add(time.Duration(st.startTicks) * time.Second / clockTicks),
		Command: commandLine(cmdline, st.comm),
	}
	if p.NSPID == 0 {
		p.NSPID = pid
	}
	if life := h.uptime - float64(st.startTicks)/clockTicks; life > 0 {
		p.CPUPercent = p.CPUTime.Seconds() / life * 100
	}
	return p, nil
}

// commandLine joins a NUL-separated cmdline with spaces, or brackets comm.
func commandLine(cmdline []byte, comm string) string {
	cmdline = bytes.TrimRight(cmdline, "\x00")
	if len(cmdline) == 0 {
		return "[" + comm + "]"
	}
	return string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
}

// isGone reports whether err means a process exited while it was read.
func isGone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, errProcessGone)
}
