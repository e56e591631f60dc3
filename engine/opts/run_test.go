package opts

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"berth/engine"
)

// waitingEngine is a fakeEngine whose Start needs the wait in place first,
// as docker run's order has it (the wait for the removal is made before the
// start).
type waitingEngine struct {
	fakeEngine
	mu      sync.Mutex
	waiting chan struct{} // closed when Wait was entered
}

func (w *waitingEngine) Start(ctx context.Context, ref string, o engine.StartOptions) error {
	<-w.waiting // never closed: the test times out and fails
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fakeEngine.Start(ctx, ref, o)
}

func (w *waitingEngine) Remove(ctx context.Context, ref string, o engine.RemoveOptions) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fakeEngine.Remove(ctx, ref, o)
}

// TestRunWaitsForRemovalFromBeforeStart checks that an attached --rm run
// waits for the removal from before the start, takes the wait's end after a
// clean attach, and gives the wait up after a failed one.
func TestRunWaitsForRemovalFromBeforeStart(t *testing.T) {
	rm := engine.CreateOptions{HostConfig: engine.HostConfig{AutoRemove: true}}
	for _, tt := range []struct {
		name      string
		attachErr error
		wantCalls string
		wantWait  string
	}{
		{"clean attach", nil, "create,start c1 attach,remove c1 volumes", "removed"},
		{"failed attach", errors.New("detached"), "create,start c1 attach", "given up"},
	} {
		w := &waitingEngine{waiting: make(chan struct{})}
		release := make(chan struct{})
		var waitEnd string
		wait := func(ctx context.Context, ref string) (int, error) {
			close(w.waiting)
			select {
			case <-release:
				waitEnd = "removed"
				return 0, nil
			case <-ctx.Done():
				waitEnd = "given up"
				return -1, ctx.Err()
			}
		}
		attach := func(context.Context, *engine.Container) (int, error) {
			if tt.attachErr == nil {
				close(release) // the container ended and was removed
			}
			return 0, tt.attachErr
		}
		_, _, err := Run(context.Background(), w, rm, RunOptions{Attach: attach, Wait: wait})
		if !errors.Is(err, tt.attachErr) {
			t.Errorf("%s: err %v", tt.name, err)
		}
		if got := strings.Join(w.calls, ","); got != tt.wantCalls || waitEnd != tt.wantWait {
			t.Errorf("%s: calls %s, wait %q; want %s, %q", tt.name, got, waitEnd, tt.wantCalls, tt.wantWait)
		}
	}
}
