package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/containerd/errdefs"

	"berth/stats"
)

// StatsEntry is one container's resource usage at one tick of a stats stream.
type StatsEntry struct {
	// ID is the full container ID.
	ID string
	// Name is the container's name without the leading slash.
	Name string
	// Running tells whether the container was running when read; a stopped
	// container's Sample reads zero.
	Running bool
	// Sample holds the counters and docker-stats percentages. Sample.Err is
	// set when reading this container failed (the stream goes on).
	Sample stats.Sample
}

// StatsOptions shape a stats stream.
type StatsOptions struct {
	// Stream keeps sampling every Interval until the context ends; without it
	// the stream sends one batch, computed from two reads an Interval apart
	// (CPU % needs a delta, as docker stats --no-stream does), and ends.
	Stream bool
	// Interval between reads (default one second).
	Interval time.Duration
	// All includes stopped containers when no refs are given (they read
	// zero); otherwise only running containers are followed.
	All bool
	// Detail reads, into each sample's Detail, what Docker's stats API
	// reports beyond docker stats' columns (per-CPU time, memory.stat, ...).
	Detail bool
}

// StatsTargets returns what the stats package needs to read each container:
// its cgroup and, when it runs in a network namespace of its own, that
// namespace (through its init's pid). Without refs it returns the running
// containers. An unknown ref is an errdefs.ErrNotFound error.
func (e *Engine) StatsTargets(ctx context.Context, refs []string) ([]stats.Target, error) {
	cs, err := e.statsContainers(ctx, refs)
	if err != nil {
		return nil, err
	}
	ts := make([]stats.Target, len(cs))
	for i, c := range cs {
		ts[i] = StatsTarget(c)
	}
	return ts, nil
}

// StatsTarget is the stats target of c. A container on the host network
// (or not running) gets no network namespace, so its network I/O reads zero,
// as docker stats shows 0B / 0B for --network host.
func StatsTarget(c *Container) stats.Target {
	t := stats.Target{ID: c.ID, CgroupPath: CgroupPath(c.ID)}
	if c.State.Running && c.State.Pid > 0 && c.HostConfig.NetworkMode != "host" {
		t.NetNSPath = fmt.Sprintf("/proc/%d/ns/net", c.State.Pid)
	}
	return t
}

// statsContainers resolves refs in order or, without refs, lists the
// running containers.
func (e *Engine) statsContainers(ctx context.Context, refs []string) ([]*Container, error) {
	if len(refs) == 0 {
		return e.List(ctx, false)
	}
	cs := make([]*Container, 0, len(refs))
	for _, ref := range refs {
		c, err := e.Inspect(ctx, ref)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// Stats streams resource usage of the containers named by refs or, without
// refs, of the running containers (all containers with o.All), re-listed at
// every tick so that containers started later join the stream. One sampler
// reads all of them. Each batch is sent on the first channel; both channels
// are closed when the stream ends (ctx ended, or the single batch of a
// non-streaming call was sent). A failure that ends the stream (the
// container list cannot be read) is sent on the error channel first. An
// unknown ref fails at once with an errdefs.ErrNotFound error. A container
// named by a ref and removed while streaming leaves the stream.
func (e *Engine) Stats(ctx context.Context, refs []string, o StatsOptions) (<-chan []StatsEntry, <-chan error, error) {
	ids := make([]string, 0, len(refs))
	for _, ref := range refs {
		c, err := e.Inspect(ctx, ref)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, c.ID)
	}
	var ropts []stats.Option
	if o.Detail {
		ropts = append(ropts, stats.WithDetail())
	}
	r, err := stats.NewReader(ropts...)
	if err != nil {
		return nil, nil, fmt.Errorf("stats: %w", err)
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	out := make(chan []StatsEntry)
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		defer close(out)
		st := &statsStream{e: e, ids: ids, o: o, s: stats.NewSampler(r, o.Interval, 1)}
		if err := st.run(ctx, out); err != nil && ctx.Err() == nil {
			errs <- err
		}
	}()
	return out, errs, nil
}

// statsStream is the state of one Stats call.
type statsStream struct {
	e   *Engine
	ids []string
	o   StatsOptions
	s   *stats.Sampler
}

// run reads at every tick and sends batches until ctx ends or, without
// Stream, after the second read.
func (st *statsStream) run(ctx context.Context, out chan<- []StatsEntry) error {
	tick := time.NewTicker(st.o.Interval)
	defer tick.Stop()
	for first := true; ; first = false {
		batch, err := st.tick(ctx)
		if err != nil {
			return err
		}
		if st.o.Stream || !first {
			select {
			case out <- batch:
			case <-ctx.Done():
				return nil
			}
			if !st.o.Stream {
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

// tick resolves the containers, points the sampler at them and reads once.
func (st *statsStream) tick(ctx context.Context) ([]StatsEntry, error) {
	cs, err := st.containers(ctx)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	ts := make([]stats.Target, len(cs))
	for i, c := range cs {
		ts[i] = StatsTarget(c)
	}
	st.s.SetTargets(ts)
	samples := st.s.SampleOnce()
	batch := make([]StatsEntry, len(cs))
	for i, c := range cs {
		batch[i] = StatsEntry{ID: c.ID, Name: c.Name[1:], Running: c.State.Running, Sample: samples[i]}
	}
	return batch, nil
}

// containers re-reads the followed containers; one named by ID that has been
// removed since is dropped.
func (st *statsStream) containers(ctx context.Context) ([]*Container, error) {
	if len(st.ids) == 0 {
		return st.e.List(ctx, st.o.All)
	}
	cs := make([]*Container, 0, len(st.ids))
	for _, id := range st.ids {
		c, err := st.e.Inspect(ctx, id)
		if errdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// Top lists the processes of a running container, read from its cgroup and
// /proc (host PIDs, with each one's PID inside the container). A container
// that is not running is an errdefs.ErrConflict error.
func (e *Engine) Top(ctx context.Context, ref string) ([]stats.Process, error) {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !c.State.Running {
		return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not running", c.Name[1:]))
	}
	ps, err := stats.Top(CgroupPath(c.ID))
	if err != nil {
		if errdefs.IsNotFound(err) { // stopped between Inspect and Top
			return nil, errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is not running", c.Name[1:]))
		}
		return nil, fmt.Errorf("top %s: %w", c.Name[1:], err)
	}
	return ps, nil
}

// HostUsage reads the host's CPU counters and memory, for a view of the
// whole machine beside its containers (the TUI's header).
func (e *Engine) HostUsage(ctx context.Context) (stats.HostSample, error) {
	return stats.ReadHost()
}
