package stats

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/containerd/errdefs"
)

// HostSample is one reading of the host's CPU counters and memory.
type HostSample struct {
	// Busy and Total are jiffies from /proc/stat's cpu line.
	Busy, Total uint64
	// MemTotal and MemAvailable are bytes from /proc/meminfo.
	MemTotal, MemAvailable uint64
}

// HostCPUPercent is the host's CPU use between two samples (100 = all cores).
func HostCPUPercent(prev, cur HostSample) float64 {
	if cur.Total <= prev.Total || cur.Busy < prev.Busy {
		return 0
	}
	return float64(cur.Busy-prev.Busy) / float64(cur.Total-prev.Total) * 100
}

// ReadHost reads the host's CPU counters and memory from /proc/stat and
// /proc/meminfo.
func ReadHost() (HostSample, error) {
	st, err := os.ReadFile("/proc/stat")
	if err != nil {
		return HostSample{}, fmt.Errorf("read host cpu: %w", err)
	}
	mi, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return HostSample{}, fmt.Errorf("read host memory: %w", err)
	}
	return parseHost(st, mi)
}

// parseHost parses /proc/stat's first cpu line (busy = all but idle and
// iowait) and MemTotal/MemAvailable from /proc/meminfo.
func parseHost(stat, meminfo []byte) (HostSample, error) {
	var h HostSample
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return h, errdefs.ErrInvalidArgument.WithMessage("parse /proc/stat: no cpu line")
	}
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return h, fmt.Errorf("parse /proc/stat field %d: %w: %w", i+1, errdefs.ErrInvalidArgument, err)
		}
		h.Total += n
		if i != 3 && i != 4 { // idle, iowait
			h.Busy += n
		}
	}
	for _, l := range bytes.Split(meminfo, []byte("\n")) {
		k, v, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			continue
		}
		fs := bytes.Fields(v)
		if len(fs) == 0 {
			continue
		}
		n, err := strconv.ParseUint(string(fs[0]), 10, 64)
		if err != nil || n > 1<<50 {
			continue
		}
		switch string(k) {
		case "MemTotal":
			h.MemTotal = n * 1024
		case "MemAvailable":
			h.MemAvailable = n * 1024
		}
	}
	if h.MemTotal == 0 {
		return h, errdefs.ErrInvalidArgument.WithMessage("parse /proc/meminfo: no MemTotal")
	}
	return h, nil
}
