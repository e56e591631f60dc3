package engine

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	"berth/engine/logfile"

	"github.com/containerd/errdefs"
)

// Logs streams a container's json-file log. With Follow, the stream goes on
// while the container runs and ends shortly after it stops (as docker logs -f
// does) or when ctx ends. A container that never ran has an empty log.
func (e *Engine) Logs(ctx context.Context, ref string, o logfile.ReadOptions) (<-chan logfile.Entry, <-chan error, error) {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	path := e.logPath(c.ID)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			return nil, nil, err
		}
	}
	if !c.State.Running {
		o.Follow = false
	}
	if !o.Follow {
		ents, errs := logfile.Read(ctx, path, o)
		return ents, errs, nil
	}
	// The stream ends once the container has exited and every line it wrote is read.
	done := make(chan struct{})
	o.Done = done
	wctx, cancel := context.WithCancel(ctx)
	go func() {
		defer close(done)
		e.awaitEnd(wctx, c.ID)
	}()
	ents, errs := logfile.Read(ctx, path, o)
	return ents, stopWaiting(errs, cancel), nil
}

// awaitEnd returns once the container has ended, is gone, or ctx is done. A
// wait that fails for a passing reason (the state read while a start or the
// monitor writes it) is tried again for a while: ending the follow on it
// would drop the lines the container has yet to write.
func (e *Engine) awaitEnd(ctx context.Context, id string) {
	for try := 0; ; try++ {
		_, err := e.Wait(ctx, id)
		if err == nil || ctx.Err() != nil || errdefs.IsNotFound(err) || try == 40 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stopWaiting passes errs on and, when it closes (the reader ended, perhaps
// on ctx), stops the wait that feeds Done.
func stopWaiting(errs <-chan error, cancel context.CancelFunc) <-chan error {
	out := make(chan error, cap(errs)+1)
	go func() {
		defer close(out)
		defer cancel()
		for err := range errs {
			out <- err
		}
	}()
	return out
}
