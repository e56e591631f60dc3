package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine"
)

// TestRemovedFilesGoThroughTheTrash: a removed container's directory is gone
// from the containers at once and deleted by the time the engine closes; what
// a process that died left in the trash is deleted by the next engine.
func TestRemovedFilesGoThroughTheTrash(t *testing.T) {
	root := t.TempDir()
	e := openEngine(t, root, true)
	ctx := context.Background()
	c, err := e.Create(ctx, opts("true"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Remove(ctx, c.ID, engine.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "containers", c.ID)); !os.IsNotExist(err) {
		t.Errorf("the container's directory after rm: %v, want it gone", err)
	}
	if !awaitTrashEmpty(root) {
		t.Error("the removed container's files are still in the trash after 30 s")
	}
	// A process killed before it emptied the trash: the next engine to open
	// empties it (by the time it closes).
	stale := filepath.Join(root, "trash", "0123abcd-feed", "fs", "upper", "etc")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "hosts"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	openAndClose(t, root)
	if !trashEmpty(root) {
		t.Error("the trash a dead process left is still there after the next engine closed")
	}
}

// TestTrashDetachesMountsBeforeDeleting: a container removed with its root
// filesystem still mounted (the monitor of an --rm container leaves the
// unmount to the waiter that removes it) is unmounted, not deleted through;
// so is a mount a process that died left in the trash.
func TestTrashDetachesMountsBeforeDeleting(t *testing.T) {
	root := t.TempDir()
	e := openEngine(t, root, true)
	ctx := context.Background()
	c, err := e.Create(ctx, opts("true"))
	if err != nil {
		t.Fatal(err)
	}
	canary := t.TempDir()
	if err := os.WriteFile(filepath.Join(canary, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	bind := func(target string) {
		t.Helper()
		if err := os.MkdirAll(target, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount(canary, target, "", unix.MS_BIND, ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = unix.Unmount(target, unix.MNT_DETACH) })
	}
	bind(filepath.Join(root, "containers", c.ID, "fs", "merged"))
	if err := e.Remove(ctx, c.ID, engine.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	awaitTrashEmpty(root)
	// A process killed with a mount in the trash: the next engine detaches it.
	bind(filepath.Join(root, "trash", "0123abcd-beef", "fs", "merged"))
	openAndClose(t, root)
	if _, err := os.Stat(filepath.Join(canary, "keep")); err != nil {
		t.Errorf("a file behind a mount in the trash was deleted: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(root, "trash")); len(left) != 0 {
		t.Errorf("the trash after the next engine closed: %d entries, want none", len(left))
	}
	if m := mountsUnder(t, root); len(m) != 0 {
		t.Errorf("mounts left under the root: %v", m)
	}
}

// trashEmpty says whether the trash of the data root holds nothing.
func trashEmpty(root string) bool {
	left, _ := os.ReadDir(filepath.Join(root, "trash"))
	return len(left) == 0
}

// awaitTrashEmpty waits (at most 30 s) for the background deletions to
// empty the trash, and says whether they did.
func awaitTrashEmpty(root string) bool {
	for deadline := time.Now().Add(30 * time.Second); !trashEmpty(root) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	return trashEmpty(root)
}

// openAndClose opens another engine on root and closes it: what the next
// berth process does with what a killed one left.
func openAndClose(t *testing.T, root string) {
	t.Helper()
	next, err := engine.New(engine.Options{Root: root,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	next.Close()
}
