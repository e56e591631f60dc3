package client

import (
	"context"

	"berth/engine/events"
)

// AwaitStart waits, until release, for the container's next start: started
// closes when it runs or its start event arrives. Over the API the holding
// of the process is the server's: it keeps a start for a client that
// attached first (Attach), so this needs no record of its own.
func (c *Client) AwaitStart(ctx context.Context, ref string) (started <-chan struct{}, release func(), err error) {
	ctr, err := c.Inspect(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	evs, _ := c.Subscribe(ctx, events.Filter{Containers: []string{ctr.ID}, Types: []string{"container"}, Actions: []string{"start"}})
	ch := make(chan struct{})
	go func() {
		if now, err := c.Inspect(ctx, ctr.ID); err == nil && now.State.Running {
			close(ch)
			return
		}
		select {
		case _, ok := <-evs:
			if ok {
				close(ch)
			}
		case <-ctx.Done():
		}
	}()
	return ch, cancel, nil
}
