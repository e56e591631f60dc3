package stats

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// errProcessGone is returned by parsers given an empty file of a process
// that exited while it was read.
var errProcessGone = errors.New("process exited")

// pidStat is what Top needs from /proc/<pid>/stat.
type pidStat struct {
	comm       string
	state      string
	ppid       int
	pgrp       int
	session    int
	tpgid      int
	nice       int
	threads    int
	utime      uint64
	stime      uint64
	startTicks uint64
	vsize      uint64
	rssPages   uint64
}

// parsePIDStat parses /proc/<pid>/stat. The command name sits in parentheses
// and may itself contain spaces and parentheses, so the fields after it are
// found from the last ')'.
func parsePIDStat(data []byte) (pidStat, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return pidStat{}, errProcessGone
	}
	open := bytes.IndexByte(data, '(')
	end := bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return pidStat{}, fmt.Errorf("parse stat %.40q: no (comm)", data)
	}
	rest := strings.Fields(string(data[end+1:]))
	if len(rest) < 22 {
		return pidStat{}, fmt.Errorf("parse stat: %d fields after comm, want 22", len(rest))
	}
	st := pidStat{comm: string(data[open+1 : end]), state: rest[0]}
	var err error
	for _, f := range []struct {
		idx int
		dst *int
	}{{1, &st.ppid}, {2, &st.pgrp}, {3, &st.session}, {5, &st.tpgid}, {16, &st.nice}, {17, &st.threads}} {
		if *f.dst, err = strconv.Atoi(rest[f.idx]); err != nil {
			return pidStat{}, fmt.Errorf("parse stat field %d: %w", f.idx+3, err)
		}
	}
	for _, f := range []struct {
		idx int
		dst *uint64
	}{{11, &st.utime}, {12, &st.stime}, {19, &st.startTicks}, {20, &st.vsize}, {21, &st.rssPages}} {
		if *f.dst, err = strconv.ParseUint(rest[f.idx], 10, 64); err != nil {
			return pidStat{}, fmt.Errorf("parse stat field %d: %w", f.idx+3, err)
		}
	}
	return st, nil
}

// pidStatus is what Top needs from /proc/<pid>/status.
type pidStatus struct {
	uid    int  // effective
	nsPID  int  // innermost PID namespace; 0 if the kernel gives no NSpid
	locked bool // VmLck is not 0: pages locked in memory
}

// parsePIDStatus parses /proc/<pid>/status for the effective UID and the
// innermost namespace PID (last field of NSpid).
func parsePIDStatus(data []byte) (pidStatus, error) {
	var st pidStatus
	sawUID := false
	for line := range bytes.Lines(data) {
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		fields := strings.Fields(string(val))
		switch string(key) {
		case "Uid":
			if len(fields) < 2 {
				return pidStatus{}, fmt.Errorf("parse status Uid %q: want 4 fields", val)
			}
			v, err := strconv.Atoi(fields[1])
			if err != nil {
				return pidStatus{}, fmt.Errorf("parse status Uid: %w", err)
			}
			st.uid, sawUID = v, true
		case "NSpid":
			if len(fields) == 0 {
				continue
			}
			v, err := strconv.Atoi(fields[len(fields)-1])
			if err != nil {
				return pidStatus{}, fmt.Errorf("parse status NSpid: %w", err)
			}
			st.nsPID = v
		case "VmLck":
			st.locked = len(fields) > 0 && fields[0] != "0"
		}
	}
	if !sawUID {
		if len(bytes.TrimSpace(data)) == 0 {
			return pidStatus{}, errProcessGone
		}
		return pidStatus{}, fmt.Errorf("parse status: no Uid line")
	}
	return st, nil
}

// parsePIDList parses a cgroup.procs file: one decimal PID per line.
func parsePIDList(data []byte) ([]int, error) {
	var pids []int
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		pid, err := strconv.Atoi(string(line))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("parse cgroup.procs line %q: not a PID", line)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// parsePasswd maps UIDs to names from passwd(5) content; malformed lines are
// skipped, the first name of a UID wins.
func parsePasswd(data []byte) map[int]string {
	users := map[int]string{}
	for line := range bytes.Lines(data) {
		fields := strings.Split(strings.TrimRight(string(line), "\n"), ":")
		if len(fields) < 3 || fields[0] == "" || strings.HasPrefix(fields[0], "#") {
			continue
		}
		uid, err := strconv.Atoi(fields[2])
		if err != nil {
			continue
		}
		if _, dup := users[uid]; !dup {
			users[uid] = fields[0]
		}
	}
	return users
}

// readPasswd reads a passwd file; an unreadable one yields no names, so users
// show numerically.
func readPasswd(path string) map[int]string {
	data, err := os.ReadFile(path)
	if err != nil {
		return map[int]string{}
	}
	return parsePasswd(data)
}

// bsdStat is ps's STAT for a process as procps writes it: the state letter,
// then < (high priority) or N (low), L (pages locked), s (session leader),
// l (multi-threaded), + (in its terminal's foreground process group).
func bsdStat(pid int, st pidStat, locked bool) string {
	out := st.state
	switch {
	case st.nice < 0:
		out += "<"
	case st.nice > 0:
		out += "N"
	}
	if locked {
		out += "L"
	}
	if st.session == pid {
		out += "s"
	}
	if st.threads > 1 {
		out += "l"
	}
	if st.pgrp == st.tpgid {
		out += "+"
	}
	return out
}
