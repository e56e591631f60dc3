package client

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	moby "github.com/moby/moby/client"

	"berth/engine"
	"berth/stats"
)

// statsTarget is one container a stats stream follows.
type statsTarget struct {
	id, name string
	running  bool
}

// Stats streams the resource use of the containers refs names (none: the
// running ones, or all with o.All, listed again at every tick so that
// containers started later join) from each one's GET /containers/{id}/stats
// stream, one batch per o.Interval; without o.Stream it sends one batch,
// each sample with its previous one for the CPU %, and ends. An unknown ref
// fails at once with a not-found error; a container named by a ref and
// removed while streaming leaves the stream.
func (c *Client) Stats(ctx context.Context, refs []string, o engine.StatsOptions) (<-chan []engine.StatsEntry, <-chan error, error) {
	ids := make([]string, 0, len(refs))
	for _, ref := range refs {
		ctr, err := c.Inspect(ctx, ref)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, ctr.ID)
	}
	out, errs := make(chan []engine.StatsEntry), make(chan error, 1)
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	go func() {
		defer close(errs)
		defer close(out)
		var err error
		if o.Stream {
			err = c.streamStats(ctx, ids, o, out)
		} else {
			err = c.statsOnce(ctx, ids, o.All, out)
		}
		if err != nil && ctx.Err() == nil {
			errs <- err
		}
	}()
	return out, errs, nil
}

// statsOnce sends one batch.
func (c *Client) statsOnce(ctx context.Context, ids []string, all bool, out chan<- []engine.StatsEntry) error {
	targets, err := c.statsTargets(ctx, ids, all)
	if err != nil {
		return err
	}
	batch := make([]engine.StatsEntry, len(targets))
	for i, t := range targets {
		batch[i] = c.oneSample(ctx, t)
	}
	select {
	case out <- batch:
	case <-ctx.Done():
	}
	return nil
}

// statsTargets reads the containers ids names (one removed is dropped), or
// lists them.
func (c *Client) statsTargets(ctx context.Context, ids []string, all bool) ([]statsTarget, error) {
	var out []statsTarget
	if len(ids) == 0 {
		res, err := c.api.ContainerList(ctx, moby.ContainerListOptions{All: all})
		if err != nil {
			return nil, wire(err, "list containers")
		}
		for _, s := range res.Items {
			out = append(out, statsTarget{id: s.ID, name: trimName(s.Names), running: s.State == "running"})
		}
		return out, nil
	}
	for _, id := range ids {
		ctr, err := c.Inspect(ctx, id)
		if errdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, statsTarget{id: ctr.ID, name: strings.TrimPrefix(ctr.Name, "/"), running: ctr.State.Running})
	}
	return out, nil
}

// oneSample reads one sample of t, with the CPU % over the server's interval.
func (c *Client) oneSample(ctx context.Context, t statsTarget) engine.StatsEntry {
	e := engine.StatsEntry{ID: t.id, Name: t.name, Running: t.running, Sample: stats.Sample{ID: t.id}}
	if !t.running {
		return e
	}
	res, err := c.api.ContainerStats(ctx, t.id, moby.ContainerStatsOptions{IncludePreviousSample: true})
	if err != nil {
		e.Sample.Err = wire(err, "read the container's stats")
		return e
	}
	defer res.Body.Close()
	var r container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		e.Sample.Err = wire(err, "read the container's stats")
		return e
	}
	e.Sample = stats.Compute(sampleOf(t.id, r.PreRead, r.PreCPUStats, container.StatsResponse{}), sampleOf(t.id, r.Read, r.CPUStats, r))
	return e
}

// follower is one container's stats stream being read.
type follower struct {
	cancel context.CancelFunc
	sample stats.Sample
	done   bool // the stream ended (the container stopped)
}

// streamStats follows each running target's stream and, every interval,
// sends the latest samples of the targets as they are then, until ctx ends.
func (c *Client) streamStats(ctx context.Context, ids []string, o engine.StatsOptions, out chan<- []engine.StatsEntry) error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	fs := map[string]*follower{}
	defer func() {
		mu.Lock()
		for _, f := range fs {
			f.cancel()
		}
		mu.Unlock()
		wg.Wait()
	}()
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	for first := true; ; first = false {
		targets, err := c.statsTargets(ctx, ids, o.All)
		if err != nil {
			return err
		}
		mu.Lock()
		batch := make([]engine.StatsEntry, len(targets))
		seen := map[string]bool{}
		for i, t := range targets {
			seen[t.id] = true
			f := fs[t.id]
			if t.running && (f == nil || f.done) {
				f = c.startFollower(ctx, t.id, &mu, &wg)
				fs[t.id] = f
			}
			batch[i] = engine.StatsEntry{ID: t.id, Name: t.name, Running: t.running, Sample: stats.Sample{ID: t.id}}
			if t.running {
				batch[i].Sample = f.sample
			}
		}
		for id, f := range fs {
			if !seen[id] {
				f.cancel()
				delete(fs, id)
			}
		}
		mu.Unlock()
		if !first {
			select {
			case out <- batch:
			case <-ctx.Done():
				return nil
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// startFollower reads id's stream into a new follower (under mu).
func (c *Client) startFollower(ctx context.Context, id string, mu *sync.Mutex, wg *sync.WaitGroup) *follower {
	fctx, cancel := context.WithCancel(ctx)
	f := &follower{cancel: cancel, sample: stats.Sample{ID: id}}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel()
		c.follow(fctx, id, func(s stats.Sample, running bool) {
			mu.Lock()
			f.sample, f.done = s, !running
			mu.Unlock()
		})
	}()
	return f
}

// follow reads one container's stats stream, giving each sample (with its
// CPU %) to set, until the stream or ctx ends; then the container reads as
// stopped.
func (c *Client) follow(ctx context.Context, id string, set func(stats.Sample, bool)) {
	res, err := c.api.ContainerStats(ctx, id, moby.ContainerStatsOptions{Stream: true})
	if err != nil {
		set(stats.Sample{ID: id, Err: wire(err, "read the container's stats")}, false)
		return
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	var prev stats.Sample
	for {
		var r container.StatsResponse
		if err := dec.Decode(&r); err != nil {
			set(stats.Sample{ID: id}, false)
			return
		}
		cur := sampleOf(id, r.Read, r.CPUStats, r)
		if prev.SystemUsageNS == 0 && r.PreCPUStats.SystemUsage != 0 {
			prev = sampleOf(id, r.PreRead, r.PreCPUStats, container.StatsResponse{})
		}
		set(stats.Compute(prev, cur), true)
		prev = cur
	}
}

// sampleOf maps a stats reading onto the engine's Sample: memory is usage
// less the inactive file cache (docker stats' figure), block I/O sums the
// read and write entries, network sums every interface.
func sampleOf(id string, at time.Time, cpu container.CPUStats, r container.StatsResponse) stats.Sample {
	s := stats.Sample{ID: id, Time: at, CPUUsageNS: cpu.CPUUsage.TotalUsage, SystemUsageNS: cpu.SystemUsage,
		OnlineCPUs: int(cpu.OnlineCPUs), NrThrottled: cpu.ThrottlingData.ThrottledPeriods,
		ThrottledNS: cpu.ThrottlingData.ThrottledTime}
	m := r.MemoryStats
	s.MemUsage, s.MemLimit = m.Usage, m.Limit
	for _, k := range []string{"total_inactive_file", "inactive_file"} {
		if v, ok := m.Stats[k]; ok && v < s.MemUsage {
			s.MemUsage -= v
			break
		}
	}
	s.OOMKills = m.Stats["oom_kill"]
	s.PIDs, s.PIDsLimit = r.PidsStats.Current, r.PidsStats.Limit
	for _, b := range r.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(b.Op) {
		case "read":
			s.BlkRead += b.Value
		case "write":
			s.BlkWrite += b.Value
		}
	}
	for _, n := range r.Networks {
		s.NetRxBytes += n.RxBytes
		s.NetTxBytes += n.TxBytes
		s.NetRxPackets += n.RxPackets
		s.NetTxPackets += n.TxPackets
	}
	return s
}
