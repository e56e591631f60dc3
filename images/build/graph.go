package build

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"berth/images"
)

// stageRun is one stage's build, shared by every stage that needs it: the
// first to claim it builds it, the others wait for its result.
type stageRun struct {
	done chan struct{}
	img  *images.Image
	err  error
}

// claim returns stage i's run and whether the caller is the one to build it.
func (bd *build) claim(i int) (*stageRun, bool) {
	bd.mu.Lock()
	defer bd.mu.Unlock()
	if r, ok := bd.runs[i]; ok {
		return r, false
	}
	r := &stageRun{done: make(chan struct{})}
	bd.runs[i] = r
	return r, true
}

// stage returns stage i's image: built here when nobody has started it,
// else the result of the build under way, waited for without holding a
// slot (the caller holds one). Stages only name earlier stages, so the
// waits never form a cycle.
func (bd *build) stage(ctx context.Context, i int) (*images.Image, error) {
	r, mine := bd.claim(i)
	if mine {
		bd.runStage(ctx, i, r)
		return r.img, r.err
	}
	<-bd.slots
	defer func() { bd.slots <- struct{}{} }() // back before going on: the caller gives it up
	select {
	case <-r.done:
		return r.img, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// runStage builds stage i for its run r and publishes the result.
func (bd *build) runStage(ctx context.Context, i int, r *stageRun) {
	r.img, r.err = bd.buildStage(ctx, i)
	if r.err == nil && r.img == nil {
		r.err = fmt.Errorf("stage %d produced no image", i)
	}
	close(r.done)
}

// buildTarget builds the target stage while the stages it needs build in
// parallel: a stage builds while it holds one of GOMAXPROCS slots, and
// gives it up while it waits for another stage. A stage needed before its
// turn comes is built by whoever needs it. The first failure cancels the
// rest and is the build's error; nothing returns before every stage ended.
func (bd *build) buildTarget(ctx context.Context, target int) (*images.Image, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	bd.slots = make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, j := range bd.needs(target) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case bd.slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-bd.slots }()
			if ctx.Err() != nil {
				return
			}
			if r, mine := bd.claim(j); mine {
				if bd.runStage(ctx, j, r); r.err != nil {
					cancel(r.err)
				}
			}
		}()
	}
	bd.slots <- struct{}{}
	img, err := bd.stage(ctx, target)
	<-bd.slots
	if err != nil {
		cancel(err)
	}
	wg.Wait()
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return nil, cause // a stage's failure, not the cancel it caused here
	}
	return img, err
}

// needs lists the stages the target depends on, directly or not, in
// Dockerfile order: the stages FROM, COPY --from and RUN --mount from name
// literally (a name made of variables is found when its step runs).
func (bd *build) needs(target int) []int {
	seen := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		for _, j := range bd.stageDeps(i) {
			if !seen[j] {
				seen[j] = true
				visit(j)
			}
		}
	}
	visit(target)
	out := make([]int, 0, len(seen))
	for j := range seen {
		out = append(out, j)
	}
	sort.Ints(out)
	return out
}

// stageDeps are the earlier stages stage i names.
func (bd *build) stageDeps(i int) []int {
	var refs []string
	if base, err := bd.expander(bd.metaEnv())(bd.stages[i].BaseName); err == nil {
		refs = append(refs, base)
	}
	for _, cmd := range bd.stages[i].Commands {
		switch c := cmd.(type) {
		case *instructions.CopyCommand:
			refs = append(refs, c.From)
		case *instructions.RunCommand:
			for _, m := range instructions.GetMounts(c) {
				refs = append(refs, m.From)
			}
		}
	}
	var out []int
	for _, ref := range refs {
		if ref == "" || strings.Contains(ref, "$") {
			continue
		}
		if j, ok := bd.stageIndex(ref, i); ok {
			out = append(out, j)
		}
	}
	return out
}

// serialised makes a progress callback safe for stages reporting at once
// (nil reports nothing).
func serialised(progress func(Event)) func(Event) {
	if progress == nil {
		return func(Event) {}
	}
	var mu sync.Mutex
	return func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		progress(ev)
	}
}
