package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/sys/mountinfo"

	"berth/engine"
)

// TestVolumeWithMountOptions: a volume made with the local driver's options
// (type=tmpfs) is that filesystem inside the containers that use it, shared
// while any container references it, and unmounted, its data gone, once the
// last of them is removed; bad options are refused in dockerd's words and
// make nothing.
func TestVolumeWithMountOptions(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	_, err := e.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "half", Options: map[string]string{"type": "tmpfs"}})
	if !errdefs.IsInvalidArgument(err) || err.Error() != `create half: missing required option: "device"` {
		t.Fatalf("volume without its device: %v", err)
	}
	if _, err := e.InspectVolume(ctx, "half"); !errdefs.IsNotFound(err) {
		t.Fatalf("a refused volume exists: %v", err)
	}
	v, err := e.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "fast",
		Options: map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=8m"}})
	if err != nil {
		t.Fatal(err)
	}
	vol := engine.MountSpec{Type: "volume", Source: "fast", Target: "/data"}
	w := withMounts(opts("sh", "-c", "grep ' /data ' /proc/mounts; echo kept > /data/f"), vol)
	w.Name = "writer"
	out, _, code := runAttached(t, e, w)
	if code != 0 || !strings.HasPrefix(out, "tmpfs /data tmpfs ") || !strings.Contains(out, "size=8192k") {
		t.Fatalf("the volume inside the container (exit %d): %q", code, out)
	}
	// The writer still references it: a second container shares its data,
	// and cp reads it from the stopped writer.
	r := withMounts(opts("cat", "/data/f"), vol)
	r.Name = "reader"
	if out, _, _ := runAttached(t, e, r); out != "kept\n" {
		t.Fatalf("a second container reads %q", out)
	}
	var tarb strings.Builder
	if _, err := e.CopyFrom(ctx, "writer", "/data/f", false, &tarb); err != nil || !strings.Contains(tarb.String(), "kept") {
		t.Fatalf("cp from the stopped writer: %v", err)
	}
	for _, n := range []string{"writer", "reader"} {
		if err := e.Remove(ctx, n, engine.RemoveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if on, err := mountinfo.Mounted(v.Mountpoint); err != nil || on {
		t.Fatalf("mounted after its last container went: %v %v", on, err)
	}
	out, _, _ = runAttached(t, e, withMounts(opts("sh", "-c", "cat /data/f 2>&1; true"), vol))
	if !strings.Contains(out, "No such file") {
		t.Fatalf("a tmpfs volume kept data across its unmount: %q", out)
	}
	cs, _ := e.List(ctx, true)
	for _, c := range cs {
		if err := e.Remove(ctx, c.ID, engine.RemoveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.RemoveVolume(ctx, "fast", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.InspectVolume(ctx, "fast"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("volume after rm: %v", err)
	}
}
