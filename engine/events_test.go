package engine_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"berth/engine"
	"berth/engine/events"
)

// TestEventsLogBounded runs many create/remove cycles and a few real
// run/rm cycles (whose start and die events the monitor writes) with a small
// EventsMaxSize: the events log stays bounded, and a --since read sees the
// events kept in the rotated file, in order, up to the newest.
func TestEventsLogBounded(t *testing.T) {
	const maxSize = 8 << 10
	root := t.TempDir()
	e, err := engine.New(engine.Options{Root: root, EventsMaxSize: maxSize,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	usedNames.Store(e.Networks().TableName(), true)
	t.Cleanup(func() { teardown(t, e) })
	ctx := context.Background()
	if _, err := e.Images().Bootstrap(ctx, "busybox", nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cycles(t, e, 80, 3)
	last, err := e.Create(ctx, opts("true"))
	if err != nil {
		t.Fatal(err)
	}
	// Two files of at most maxSize, plus the few events monitors append
	// (they rotate at the default size) before the engine's next append.
	if files, total := logFiles(root); len(files) != 2 || total > 2*maxSize+4<<10 {
		t.Fatalf("events log files %v hold %d bytes, want 2 files of about %d", files, total, maxSize)
	}
	rotated, err := os.ReadFile(filepath.Join(root, "events.log.1"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := events.Decode(rotated[:bytes.IndexByte(rotated, '\n')+1])
	if err != nil {
		t.Fatal(err)
	}
	// Like `berth events --since … --until 0s`.
	ch, errc := e.Subscribe(ctx, events.Filter{Since: start, Until: time.Now()})
	var got []events.Event
	for ev := range ch {
		got = append(got, ev)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 || !got[0].Time.Equal(first.Time) || got[0].ID != first.ID {
		t.Fatalf("--since read starts with %+v, want the rotated file's first event %+v", got[0], first)
	}
	if end := got[len(got)-1]; end.ID != last.ID || end.Action != "create" {
		t.Errorf("--since read ends with %+v, want the create of %s", end, last.ID[:12])
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Errorf("event %d (%v) before event %d (%v)", i, got[i].Time, i-1, got[i-1].Time)
		}
	}
}

// TestImageEventsFromAnotherEngine: an image change made through a second
// engine on the same root (another berth process) reaches a follower of the
// first engine's events log.
func TestImageEventsFromAnotherEngine(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, _ := e.Subscribe(ctx, events.Filter{Types: []string{"image"}})
	other, err := engine.New(engine.Options{Root: e.Root(),
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Images().Tag(ctx, "busybox", "elsewhere:1"); err != nil {
		t.Fatal(err)
	}
	img, _ := e.Images().Resolve("busybox")
	select {
	case ev := <-ch:
		if ev.Action != "tag" || ev.ID != img.ID || ev.Attributes["name"] != "elsewhere:1" {
			t.Errorf("event %+v, want image tag %s name=elsewhere:1", ev, img.ID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no image event from the other engine")
	}
}

// cycles creates and removes n containers, then runs and removes runs more.
func cycles(t *testing.T, e *engine.Engine, n, runs int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		c, err := e.Create(ctx, opts("true"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Remove(ctx, c.ID, engine.RemoveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < runs; i++ {
		o := opts("true")
		o.Name = "cycle"
		if _, _, code := runAttached(t, e, o); code != 0 {
			t.Fatalf("run exit %d", code)
		}
		if err := e.Remove(ctx, "cycle", engine.RemoveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// logFiles returns the events log's files under root and their total size.
func logFiles(root string) ([]string, int64) {
	files, _ := filepath.Glob(filepath.Join(root, "events.log*"))
	var total int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	return files, total
}
