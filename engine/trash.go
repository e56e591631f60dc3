package engine

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
)

// A removed container's directory is renamed into the trash and deleted
// after its removal is done, so that whoever waits for the removal (docker
// run --rm's wait for condition=removed) is not kept waiting while its files
// go (5-25 ms on this machine). A process that dies before the trash is
// emptied leaves it to the next engine that opens; Close waits until this
// process's own deletions are done, so that a CLI leaves nothing behind.

// trash is the engine's pending deletions.
type trash struct {
	wg sync.WaitGroup
}

func (e *Engine) trashDir() string { return filepath.Join(e.root, "trash") }

// discard takes dir out of the way at once and deletes it in the background;
// where it cannot be moved (gone already, another filesystem), it is deleted
// here.
func (e *Engine) discard(dir string) error {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	to := filepath.Join(e.trashDir(), filepath.Base(dir)+"-"+hex.EncodeToString(b))
	if err := os.MkdirAll(e.trashDir(), 0o700); err != nil || os.Rename(dir, to) != nil {
		return os.RemoveAll(dir)
	}
	e.trash.wg.Add(1)
	go func() {
		defer e.trash.wg.Done()
		_ = os.RemoveAll(to)
	}()
	return nil
}

// emptyTrash deletes, in the background, what processes that died left in
// the trash (at open).
func (e *Engine) emptyTrash() {
	entries, err := os.ReadDir(e.trashDir())
	if err != nil || len(entries) == 0 {
		return
	}
	e.trash.wg.Add(1)
	go func() {
		defer e.trash.wg.Done()
		for _, ent := range entries {
			_ = os.RemoveAll(filepath.Join(e.trashDir(), ent.Name()))
		}
	}()
}

// waitTrash waits for this process's deletions (Close).
func (e *Engine) waitTrash() { e.trash.wg.Wait() }
