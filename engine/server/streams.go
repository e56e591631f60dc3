package server

import (
	"context"
	"sync"

	"berth/engine"
	"berth/engine/api"
)

// streamRoutes registers the streams endpoints: attach (hijacked and
// websocket), resize, logs and stats. It also puts the start hook in front
// of the engine (see startHook), so it must run after s.eng is set.
func (s *Server) streamRoutes() {
	s.attaching = &attachWaiters{m: map[string]map[chan struct{}]bool{}}
	s.eng = startHook{Engine: s.eng, waiters: s.attaching}
	s.handle("POST /containers/{id}/attach", s.attachContainer)
	s.handle("GET /containers/{id}/attach/ws", s.attachWebsocket)
	s.handle("POST /containers/{id}/resize", s.resizeContainer)
	s.handle("GET /containers/{id}/logs", s.containerLogs)
	s.handle("GET /containers/{id}/stats", s.containerStats)
}

// startHook is the engine with one change to Start: a container that an
// attach request waits for is started holding its process until that
// client attaches (engine.StartOptions.WaitAttach), so that `docker run`
// (create, attach, start) and `docker start -a` miss none of the output,
// as dockerd's attach-before-start guarantees. Whoever handles the start
// endpoint calls s.eng.Start and gets this for free.
type startHook struct {
	api.Engine
	waiters *attachWaiters
}

// Start starts the container, telling the attach requests that wait for it
// as soon as its monitor takes attaching clients: attached then, before the
// process runs, they let the monitor run it at once (without them, it waits
// for a client once started).
func (h startHook) Start(ctx context.Context, ref string, o engine.StartOptions) error {
	c, err := h.Engine.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if h.waiters.waiting(c.ID) {
		o.WaitAttach = true
		then := o.Listening
		o.Listening = func() {
			h.waiters.wake(c.ID)
			if then != nil {
				then()
			}
		}
	}
	err = h.Engine.Start(ctx, c.ID, o)
	h.waiters.wake(c.ID)
	return err
}

// attachWaiters are the attach requests waiting for their container to
// start, by container ID.
type attachWaiters struct {
	mu sync.Mutex
	m  map[string]map[chan struct{}]bool
}

// add registers a waiter for container id; the returned function forgets it.
func (a *attachWaiters) add(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m[id] == nil {
		a.m[id] = map[chan struct{}]bool{}
	}
	a.m[id][ch] = true
	return ch, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.m[id][ch] {
			delete(a.m[id], ch)
			if len(a.m[id]) == 0 {
				delete(a.m, id)
			}
		}
	}
}

func (a *attachWaiters) waiting(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.m[id]) > 0
}

// wake tells every waiter of container id that a start was made.
func (a *attachWaiters) wake(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for ch := range a.m[id] {
		close(ch)
	}
	delete(a.m, id)
}
