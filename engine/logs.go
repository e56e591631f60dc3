package engine

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	"berth/engine/logfile"
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
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		_, _ = e.Wait(ctx, c.ID)
		select { // let the reader catch the last lines
		case <-time.After(300 * time.Millisecond):
		case <-ctx.Done():
		}
	}()
	ents, errs := logfile.Read(ctx, path, o)
	return ents, errs, nil
}
