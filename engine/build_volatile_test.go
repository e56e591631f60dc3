package engine_test

import (
	"context"
	"testing"

	"berth/engine"
)

// A RUN step's container has its root on a volatile overlay (no sync of the
// filesystem under it at each copy-up and at its unmount: its upper dir goes
// into a layer or away when the step ends); a container of one's own keeps
// a plain one, which can be mounted again.
func TestBuildStepRootIsVolatile(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	df := "FROM busybox\nRUN grep ' / overlay .*volatile' /proc/mounts > /root-mount\n"
	img, err := e.Build(ctx, engine.BuildOptions{Dockerfile: []byte(df), NoCache: true, Tags: []string{"volatile:1"}}, nil)
	if err != nil {
		t.Fatalf("a RUN step whose root is not volatile fails: %v", err)
	}
	out, _, code := runAttached(t, e, withImage(opts("sh", "-c", "cat /root-mount >/dev/null && grep -c ' / overlay .*volatile' /proc/mounts"), "volatile:1"))
	if code != 1 || out != "0\n" {
		t.Errorf("a container's own root: %q, exit %d (want a plain overlay)", out, code)
	}
	if len(img.Layers) < 2 {
		t.Errorf("built image has %d layers", len(img.Layers))
	}
}

func withImage(o engine.CreateOptions, image string) engine.CreateOptions {
	o.Config.Image = image
	return o
}
