package stats

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/stat and /proc/<pid>/stat times.
// Linux exports it as 100 on every architecture.
const clockTicks = 100

// procStat is what the package needs from /proc/stat.
type procStat struct {
	// systemNS is the sum of the first seven fields of the cpu line, in ns.
	systemNS uint64
	// onlineCPUs counts the cpuN lines.
	onlineCPUs int
	// bootTime is btime, seconds since the epoch.
	bootTime int64
}

// parseProcStat parses the content of /proc/stat.
func parseProcStat(data []byte) (procStat, error) {
	var ps procStat
	sawCPU := false
	for line := range bytes.Lines(data) {
		// Split only the lines needed: the intr line alone can be kilobytes.
		if !bytes.HasPrefix(line, []byte("cpu")) && !bytes.HasPrefix(line, []byte("btime")) {
			continue
		}
		fields := strings.Fields(string(line))
		switch {
		case fields[0] == "cpu":
			if len(fields) < 8 {
				return procStat{}, fmt.Errorf("parse /proc/stat cpu line %q: want 7 fields", line)
			}
			var ticks uint64
			for _, f := range fields[1:8] {
				v, err := strconv.ParseUint(f, 10, 64)
				if err != nil {
					return procStat{}, fmt.Errorf("parse /proc/stat cpu line: %w", err)
				}
				ticks += v
			}
			ps.systemNS = ticks * (1e9 / clockTicks)
			sawCPU = true
		case strings.HasPrefix(fields[0], "cpu"):
			ps.onlineCPUs++
		case fields[0] == "btime" && len(fields) == 2:
			v, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return procStat{}, fmt.Errorf("parse /proc/stat btime: %w", err)
			}
			ps.bootTime = v
		}
	}
	if !sawCPU {
		return procStat{}, fmt.Errorf("parse /proc/stat: no cpu line")
	}
	return ps, nil
}

// parseMemTotal returns MemTotal in bytes from the content of /proc/meminfo.
func parseMemTotal(data []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "MemTotal:" {
			continue
		}
		v, err := strconv.ParseUint(fields[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse MemTotal: %w", err)
		}
		if len(fields) == 3 && fields[2] == "kB" {
			v *= 1024
		}
		return v, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("scan meminfo: %w", err)
	}
	return 0, fmt.Errorf("parse meminfo: no MemTotal line")
}

// parseBlkioV1 sums the Read and Write lines of a cgroup v1
// blkio.throttle.io_service_bytes(_recursive) file ("MAJ:MIN Op Value" lines
// and a "Total N" line).
func parseBlkioV1(data []byte) (read, write uint64, err error) {
	for line := range bytes.Lines(data) {
		fields := strings.Fields(string(line))
		if len(fields) == 0 || fields[0] == "Total" {
			continue
		}
		if len(fields) != 3 || !strings.Contains(fields[0], ":") {
			return 0, 0, fmt.Errorf("parse blkio line %q: want MAJ:MIN OP VALUE", line)
		}
		v, err := strconv.ParseUint(fields[2], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse blkio line %q: %w", line, err)
		}
		switch strings.ToLower(fields[1]) {
		case "read":
			read += v
		case "write":
			write += v
		}
	}
	return read, write, nil
}

// parseCgroupValue parses a cgroup file holding one number (key "") or the
// value of key in a flat "key value" file (memory.stat, memory.oom_control).
// "max" reads as 0 (no limit); a missing key reads as 0.
func parseCgroupValue(data []byte, key string) (uint64, error) {
	if key == "" {
		v := strings.TrimSpace(string(data))
		if v == "max" {
			return 0, nil
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse value: %w", err)
		}
		return n, nil
	}
	for line := range bytes.Lines(data) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte{' '})
		if !ok || string(k) != key {
			continue
		}
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s: %w", key, err)
		}
		return n, nil
	}
	return 0, nil
}
