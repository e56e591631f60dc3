// Package stats reads live resource usage of berth containers from their
// cgroups (v1 controllers or the unified v2 hierarchy), their network
// namespaces and /proc, computes docker-stats style percentages, keeps a
// fixed-size history per container and lists a container's processes (top).
//
// The package imports nothing else of berth: callers give it cgroup paths and
// network namespace paths.
package stats

import "time"

// Sample is one reading of one container's counters. Read fills the raw
// counters; Compute fills the percentages from two consecutive samples.
type Sample struct {
	// ID is the container ID the sample belongs to.
	ID string
	// Time is when the sample was read.
	Time time.Time

	// CPUUsageNS is the container's total CPU time in nanoseconds.
	CPUUsageNS uint64
	// SystemUsageNS is the host's total CPU time (first seven fields of
	// /proc/stat's cpu line) in nanoseconds.
	SystemUsageNS uint64
	// OnlineCPUs is the number of online CPUs of the host.
	OnlineCPUs int
	// CPUPercent is docker's CPU %: 100 is one full core. 0 for the first sample.
	CPUPercent float64

	// MemUsage is memory usage minus inactive file cache, in bytes.
	MemUsage uint64
	// MemCgroupUsage is the cgroup's memory usage as the kernel counts it
	// (inactive file cache included), and MemInactiveFile that cache: the
	// two figures Docker's API reports for clients to derive MemUsage.
	MemCgroupUsage, MemInactiveFile uint64
	// MemLimit is the memory limit, capped at the host's MemTotal.
	MemLimit uint64
	// MemPercent is MemUsage / MemLimit × 100.
	MemPercent float64

	// OOMKills counts processes killed by the OOM killer in this cgroup.
	OOMKills uint64
	// NrThrottled counts CFS periods in which the cgroup was throttled.
	NrThrottled uint64
	// ThrottledNS is the total time the cgroup was throttled, in nanoseconds.
	ThrottledNS uint64

	// PIDs is the number of tasks in the cgroup.
	PIDs uint64
	// PIDsLimit is the pids limit; 0 means unlimited.
	PIDsLimit uint64

	// BlkRead is the number of bytes read from block devices.
	BlkRead uint64
	// BlkWrite is the number of bytes written to block devices.
	BlkWrite uint64

	// NetRxBytes is the sum of received bytes over non-loopback links.
	NetRxBytes uint64
	// NetTxBytes is the sum of transmitted bytes over non-loopback links.
	NetTxBytes uint64
	// NetRxPackets is the sum of received packets over non-loopback links.
	NetRxPackets uint64
	// NetTxPackets is the sum of transmitted packets over non-loopback links.
	NetTxPackets uint64

	// Detail holds what a Reader made WithDetail reads besides: the
	// counters Docker's stats API reports beyond docker stats' columns.
	Detail *Detail `json:",omitempty"`

	// Err is set by the Sampler when reading this target failed; the
	// counters are then zero. Read returns errors instead.
	Err error `json:"-"`
}

// Compute returns cur with CPUPercent and MemPercent filled in, as
// `docker stats` computes them: CPU % is the container's CPU time delta over
// the host's CPU time delta, times the number of online CPUs, times 100; it is
// 0 when prev is missing (zero) or either delta is not positive. MemPercent is
// MemUsage over MemLimit times 100 (0 without a limit). Compute is pure.
func Compute(prev, cur Sample) Sample {
	cur.CPUPercent = 0
	if prev.SystemUsageNS != 0 && cur.CPUUsageNS > prev.CPUUsageNS &&
		cur.SystemUsageNS > prev.SystemUsageNS {
		cpuDelta := float64(cur.CPUUsageNS - prev.CPUUsageNS)
		sysDelta := float64(cur.SystemUsageNS - prev.SystemUsageNS)
		cur.CPUPercent = cpuDelta / sysDelta * float64(cur.OnlineCPUs) * 100
	}
	cur.MemPercent = 0
	if cur.MemLimit != 0 {
		cur.MemPercent = float64(cur.MemUsage) / float64(cur.MemLimit) * 100
	}
	return cur
}
