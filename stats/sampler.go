package stats

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Ring is a fixed-size history of samples: once full, each Push overwrites
// the oldest sample. It never grows. The zero Ring holds nothing; make one
// with NewRing. A Ring is not safe for concurrent use.
type Ring struct {
	buf  []Sample
	next int
	full bool
}

// NewRing returns an empty Ring holding at most size samples (at least 1).
func NewRing(size int) *Ring {
	return &Ring{buf: make([]Sample, max(size, 1))}
}

// Push adds s, dropping the oldest sample when the ring is full.
func (r *Ring) Push(s Sample) {
	if len(r.buf) == 0 {
		return
	}
	r.buf[r.next] = s
	r.next++
	if r.next == len(r.buf) {
		r.next = 0
		r.full = true
	}
}

// Len returns the number of samples held.
func (r *Ring) Len() int {
	if r.full {
		return len(r.buf)
	}
	return r.next
}

// Cap returns the ring's fixed size.
func (r *Ring) Cap() int { return len(r.buf) }

// Slice returns a copy of the held samples, oldest first.
func (r *Ring) Slice() []Sample {
	if !r.full {
		return slices.Clone(r.buf[:r.next])
	}
	out := make([]Sample, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

// Sampler samples many containers with one ticker in one goroutine (Run),
// computes their percentages against each container's previous sample and
// keeps a history ring per container.
type Sampler struct {
	r        *Reader
	interval time.Duration
	size     int

	sampleMu sync.Mutex // serialises SampleOnce
	mu       sync.Mutex // guards the fields below
	targets  []Target
	prev     map[string]Sample
	hist     map[string]*Ring
}

// NewSampler returns a Sampler reading with r every interval (1 s when not
// positive) and keeping historySize samples per container (at least 1).
func NewSampler(r *Reader, interval time.Duration, historySize int) *Sampler {
	if interval <= 0 {
		interval = time.Second
	}
	return &Sampler{
		r:        r,
		interval: interval,
		size:     max(historySize, 1),
		prev:     map[string]Sample{},
		hist:     map[string]*Ring{},
	}
}

// SetTargets sets the containers to sample from the next tick on. State of
// containers no longer listed is dropped at that tick. Safe for concurrent use.
func (s *Sampler) SetTargets(ts []Target) {
	s.mu.Lock()
	s.targets = slices.Clone(ts)
	s.mu.Unlock()
}

// Run samples all targets once at once and then at every tick, sending each
// batch (in target order) on out. It returns ctx's error when ctx ends; it
// never closes out.
func (s *Sampler) Run(ctx context.Context, out chan<- []Sample) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		batch := s.SampleOnce()
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// SampleOnce reads every target once, computes percentages against its
// previous sample, records the result in its history and returns the batch.
// Run calls it at each tick; it is exported for one-shot callers
// (`stats --no-stream` needs two calls an interval apart).
func (s *Sampler) SampleOnce() []Sample {
	s.sampleMu.Lock()
	defer s.sampleMu.Unlock()
	s.mu.Lock()
	targets := s.targets
	s.mu.Unlock()
	batch := make([]Sample, 0, len(targets))
	sys, sysErr := s.r.readSystem()
	for _, t := range targets {
		cur, err := s.r.read(t, sys)
		if sysErr != nil {
			err = fmt.Errorf("read stats of %q: %w", t.ID, sysErr)
		}
		if err != nil {
			cur = Sample{ID: t.ID, Time: time.Now(), Err: err}
		}
		batch = append(batch, cur)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[string]bool, len(batch))
	for i, cur := range batch {
		cur = Compute(s.prev[cur.ID], cur)
		batch[i] = cur
		seen[cur.ID] = true
		s.prev[cur.ID] = cur
		ring := s.hist[cur.ID]
		if ring == nil {
			ring = NewRing(s.size)
			s.hist[cur.ID] = ring
		}
		ring.Push(cur)
	}
	for id := range s.prev {
		if !seen[id] {
			delete(s.prev, id)
			delete(s.hist, id)
		}
	}
	return batch
}

// History returns a copy of the container's history, oldest first; nil for
// an unknown container.
func (s *Sampler) History(id string) []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ring := s.hist[id]; ring != nil {
		return ring.Slice()
	}
	return nil
}
