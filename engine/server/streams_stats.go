package server

import (
	"context"
	"net/http"
	"time"

	"github.com/moby/moby/api/types/container"

	"berth/engine"
	"berth/stats"
)

// containerStats is GET /containers/{id}/stats: one container's resource
// usage as Docker's StatsResponse, every second with stream=1 (the
// default); with stream=0 one message holding two reads a second apart
// (precpu_stats is the first, so that clients compute CPU % as `berth
// stats` does); with stream=0&one-shot=1 a single read at once, without
// precpu_stats.
func (s *Server) containerStats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	stream := q.Get("stream") == "" || queryBool(q, "stream")
	oneShot := queryBool(q, "one-shot")
	if oneShot && stream {
		return badRequest("cannot have stream=true and one-shot=true")
	}
	c, err := s.eng.Inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	batches, errs, err := s.eng.Stats(ctx, []string{c.ID}, engine.StatsOptions{Stream: true, Interval: time.Second, Detail: true})
	if err != nil {
		return err
	}
	done, err := s.track()
	if err != nil {
		return err
	}
	defer done()
	defer func() { // the stream ends with ctx; wait for it
		cancel()
		for range batches {
		}
		for range errs {
		}
	}()
	js := newJSONStream(w)
	var prev *engine.StatsEntry
	for batch := range batches {
		if len(batch) == 0 { // the container was removed
			break
		}
		cur := batch[0]
		if !stream && !oneShot && prev == nil && cur.Running {
			prev = &cur // the first read only gives the CPU delta its start
			continue
		}
		if err := js.Send(statsResponse(prev, cur)); err != nil || !stream {
			return nil
		}
		prev = &cur
	}
	if !js.Started() {
		if err := <-errs; err != nil {
			return err
		}
		return notFound("no such container: %s", r.PathValue("id"))
	}
	return nil
}

// statsResponse is one message of a stats stream: cur, and prev (nil for
// the first) as the pre-read.
func statsResponse(prev *engine.StatsEntry, cur engine.StatsEntry) container.StatsResponse {
	sm := cur.Sample
	resp := container.StatsResponse{
		ID: cur.ID, Name: "/" + cur.Name, OSType: "linux", Read: sm.Time,
		CPUStats:    cpuStats(cur),
		MemoryStats: memoryStats(sm),
		PidsStats:   container.PidsStats{Current: sm.PIDs, Limit: sm.PIDsLimit},
		BlkioStats: container.BlkioStats{IoServiceBytesRecursive: []container.BlkioStatEntry{
			{Op: "read", Value: sm.BlkRead}, {Op: "write", Value: sm.BlkWrite}}},
	}
	if !cur.Running {
		resp.Read = time.Time{}
		resp.MemoryStats = container.MemoryStats{}
		resp.BlkioStats = container.BlkioStats{}
	}
	if cur.Running && (sm.NetRxBytes != 0 || sm.NetTxBytes != 0 || sm.NetRxPackets != 0 || sm.NetTxPackets != 0) {
		// The sampler sums the links of the container's namespace (loopback
		// aside); they are reported as its one interface.
		resp.Networks = map[string]container.NetworkStats{"eth0": {
			RxBytes: sm.NetRxBytes, TxBytes: sm.NetTxBytes, RxPackets: sm.NetRxPackets, TxPackets: sm.NetTxPackets}}
	}
	if prev != nil {
		resp.PreRead = prev.Sample.Time
		resp.PreCPUStats = cpuStats(*prev)
	}
	return resp
}

// cpuStats are the CPU figures of one read.
func cpuStats(e engine.StatsEntry) container.CPUStats {
	if !e.Running {
		return container.CPUStats{}
	}
	sm := e.Sample
	usage := container.CPUUsage{TotalUsage: sm.CPUUsageNS}
	if d := sm.Detail; d != nil {
		usage.PercpuUsage, usage.UsageInUsermode, usage.UsageInKernelmode = d.PerCPUNS, d.UserNS, d.SystemNS
	}
	return container.CPUStats{
		CPUUsage:       usage,
		SystemUsage:    sm.SystemUsageNS,
		OnlineCPUs:     uint32(sm.OnlineCPUs),
		ThrottlingData: container.ThrottlingData{ThrottledPeriods: sm.NrThrottled, ThrottledTime: sm.ThrottledNS},
	}
}

// memoryStats is a sample's memory as dockerd reports it: usage and limit,
// and, as the kernel gives them, the high-water mark, fail count (cgroup v1)
// and memory.stat's counters (whose inactive_file, or v1's
// total_inactive_file, the docker CLI subtracts from the usage).
func memoryStats(sm stats.Sample) container.MemoryStats {
	out := container.MemoryStats{Usage: sm.MemCgroupUsage, Limit: sm.MemLimit,
		Stats: map[string]uint64{"inactive_file": sm.MemInactiveFile}}
	if d := sm.Detail; d != nil {
		out.MaxUsage, out.Failcnt = d.MemMaxUsage, d.MemFailcnt
		if len(d.MemStat) > 0 {
			out.Stats = d.MemStat
		}
	}
	if _, ok := out.Stats["oom_kill"]; !ok {
		out.Stats["oom_kill"] = sm.OOMKills
	}
	return out
}
