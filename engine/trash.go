package engine

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// A removed container's directory is renamed into the trash and deleted
// after its removal is done, so that whoever waits for the removal (docker
// run --rm's wait for condition=removed) is not kept waiting while its files
// go (5-25 ms on this machine), nor while its root filesystem is unmounted:
// the last unmount of an overlay syncs the whole filesystem its upper dir is
// on (3-30 ms, more on a busy disk). A mount moves with the directory it is
// in, and is detached before anything under it is deleted. A process that
// dies before the trash is emptied leaves it to the next engine that opens;
// Close waits until this process's own deletions are done, so that a CLI
// leaves nothing behind.

// trash is the engine's pending deletions.
type trash struct {
	wg sync.WaitGroup
}

func (e *Engine) trashDir() string { return filepath.Join(e.root, "trash") }

// discard takes dir out of the way at once and deletes it in the background,
// after detaching the mounts at mounted (paths relative to dir: a container's
// root filesystem). Where dir cannot be moved (gone already, another
// filesystem), the mounts are detached and dir deleted here.
func (e *Engine) discard(dir string, mounted ...string) error {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	to := filepath.Join(e.trashDir(), filepath.Base(dir)+"-"+hex.EncodeToString(b))
	if err := os.MkdirAll(e.trashDir(), 0o700); err != nil || os.Rename(dir, to) != nil {
		if err := detach(dir, mounted); err != nil {
			return err
		}
		return os.RemoveAll(dir)
	}
	e.trash.wg.Add(1)
	go func() {
		defer e.trash.wg.Done()
		if detach(to, mounted) == nil { // else left to the next open (emptyTrash)
			_ = os.RemoveAll(to)
		}
	}()
	return nil
}

// detach unmounts the mounts at the paths under dir that are mounted; it
// fails, so that nothing deletes through a mount, if one stays mounted.
func detach(dir string, mounted []string) error {
	for _, rel := range mounted {
		err := unix.Unmount(filepath.Join(dir, rel), unix.MNT_DETACH)
		if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			return &os.PathError{Op: "unmount", Path: filepath.Join(dir, rel), Err: err}
		}
	}
	return nil
}

// emptyTrash deletes, in the background, what processes that died left in
// the trash (at open), after detaching any mount left under it.
func (e *Engine) emptyTrash() {
	entries, err := os.ReadDir(e.trashDir())
	if err != nil || len(entries) == 0 {
		return
	}
	e.trash.wg.Add(1)
	go func() {
		defer e.trash.wg.Done()
		if detachAllUnder(e.trashDir()) != nil {
			return // nothing is deleted through a mount
		}
		for _, ent := range entries {
			_ = os.RemoveAll(filepath.Join(e.trashDir(), ent.Name()))
		}
	}()
}

// detachAllUnder unmounts every mount below dir, deepest first.
func detachAllUnder(dir string) error {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return err
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
	var paths []string
	for _, m := range mounts {
		if m.Mountpoint != dir {
			paths = append(paths, m.Mountpoint)
		}
	}
	return detach("/", paths)
}

// waitTrash waits for this process's deletions (Close).
func (e *Engine) waitTrash() { e.trash.wg.Wait() }
