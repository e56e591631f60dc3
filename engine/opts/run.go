package opts

import (
	"context"

	"berth/engine"
)

// Engine is what Run needs of an engine.
type Engine interface {
	// Create makes a container from an image without starting it.
	Create(ctx context.Context, o engine.CreateOptions) (*engine.Container, error)
	// Start starts a created or stopped container.
	Start(ctx context.Context, ref string, o engine.StartOptions) error
	// Remove deletes a container.
	Remove(ctx context.Context, ref string, o engine.RemoveOptions) error
}

// RunOptions say how Run runs the container once it is created.
type RunOptions struct {
	// Attach, when set, runs the container in the foreground: Start waits
	// for an attach, and Attach is that attach, returning the container's
	// exit code. When nil the container runs detached (docker run -d).
	Attach func(ctx context.Context, c *engine.Container) (int, error)
	// Wait waits for an AutoRemove (--rm) container to be removed (the
	// engine's WaitFor with WaitRemoved, which removes it itself as soon as
	// it ends). Run calls it before Start, as docker run does, and after a
	// clean Attach takes its answer, then removes the container if it is
	// still there; after a failed Attach the wait is given up and the
	// container's monitor removes it when it ends.
	Wait func(ctx context.Context, ref string) (int, error)
}

// Run is docker run: it creates the container and starts it. When the start
// fails the container is removed again (forced), so a failed run leaves
// nothing behind. A detached AutoRemove container is removed by the engine
// when it exits; an attached one is removed here, with its anonymous
// volumes, once Attach returned cleanly and Wait saw it exit. Run returns
// the container and Attach's exit code; the container is nil when the run
// failed before Attach (Create or Start failed), and then nothing is left.
func Run(ctx context.Context, eng Engine, o engine.CreateOptions, ro RunOptions) (*engine.Container, int, error) {
	c, err := eng.Create(ctx, o)
	if err != nil {
		return nil, 0, err
	}
	var removed <-chan struct{}
	if o.HostConfig.AutoRemove && ro.Attach != nil && ro.Wait != nil {
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = ro.Wait(wctx, c.ID)
		}()
		defer func() { cancel(); <-done }() // runs before the cancel above
		removed = done
	}
	if err := eng.Start(ctx, c.ID, engine.StartOptions{WaitAttach: ro.Attach != nil}); err != nil {
		// The caller's context may be what failed the start: clean up anyway.
		_ = eng.Remove(context.WithoutCancel(ctx), c.ID, engine.RemoveOptions{Force: true})
		return nil, 0, err
	}
	if ro.Attach == nil {
		return c, 0, nil
	}
	code, err := ro.Attach(ctx, c)
	if removed != nil && err == nil {
		<-removed
		_ = eng.Remove(context.WithoutCancel(ctx), c.ID, engine.RemoveOptions{Force: true, Volumes: true})
	}
	return c, code, err
}
