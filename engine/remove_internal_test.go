package engine

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/containerd/errdefs"
)

// openBare opens an engine on root for tests that start no container.
func openBare(t *testing.T, root string) *Engine {
	t.Helper()
	e, err := New(Options{Root: root, MonitorPath: "/nonexistent", InitPath: "/nonexistent"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A removal killed halfway — the record marked, the files partly or wholly
// gone — is completed by the next engine that opens, and meanwhile the
// container shows as being removed and cannot be started.
func TestOpenCompletesAnInterruptedRemoval(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	e := openBare(t, root)
	if _, err := e.Images().Bootstrap(ctx, "busybox", func(string) {}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, filesGone := range []bool{false, true} {
		c, err := e.Create(ctx, CreateOptions{Config: Config{Image: "busybox", Cmd: []string{"true"}}})
		if err != nil {
			t.Fatal(err)
		}
		row, err := e.db.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := decodeRecord(row.Data)
		if err != nil {
			t.Fatal(err)
		}
		rec.Removal = &removal{Volumes: true}
		if err := e.saveRecord(ctx, c.ID, rec); err != nil {
			t.Fatal(err)
		}
		if filesGone {
			if err := os.RemoveAll(e.containerDir(c.ID)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := e.Inspect(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State.Status != StatusRemoving || got.StatusText(time.Now()) != "Removal In Progress" {
			t.Errorf("state of a container being removed: %q %q", got.State.Status, got.StatusText(time.Now()))
		}
		if err := e.Start(ctx, c.ID, StartOptions{}); !errdefs.IsConflict(err) {
			t.Errorf("start of a container being removed: %v", err)
		}
		ids = append(ids, c.ID)
	}
	e.Close()

	e = openBare(t, root)
	defer func() {
		if err := e.Networks().RemoveAll(ctx); err != nil {
			t.Error(err)
		}
		e.Close()
	}()
	for _, id := range ids {
		if _, err := e.Inspect(ctx, id); !errdefs.IsNotFound(err) {
			t.Errorf("container %s left after reopening: %v", id[:12], err)
		}
		for _, p := range []string{e.containerDir(id), e.lockPath(id)} {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("%s left: %v", p, err)
			}
		}
	}
}
