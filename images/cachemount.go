package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// CacheMountOptions say how a RUN --mount=type=cache directory is shared
// and how it is made the first time.
type CacheMountOptions struct {
	// Sharing is shared (default), private or locked, as BuildKit's.
	Sharing string
	// UID, GID and Mode are the new directory's owner and permissions.
	UID, GID int
	Mode     os.FileMode
}

// cacheMountsDir holds the cache mounts' directories, one per id.
func (s *Store) cacheMountsDir() string { return filepath.Join(s.root, "cachemounts") }

// CacheMount returns the directory kept for the cache mount id, made when
// missing. release must be called when the step is done: it drops the lock
// (sharing=locked) or removes a private instance made because the shared one
// was in use (sharing=private).
func (s *Store) CacheMount(ctx context.Context, id string, o CacheMountOptions) (dir string, release func(), err error) {
	sum := sha256.Sum256([]byte(id))
	base := filepath.Join(s.cacheMountsDir(), hex.EncodeToString(sum[:16]))
	data := filepath.Join(base, "data")
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", nil, fmt.Errorf("cache mount %s: %w", id, err)
	}
	if err := os.WriteFile(filepath.Join(base, "id"), []byte(id), 0o600); err != nil {
		return "", nil, fmt.Errorf("cache mount %s: %w", id, err)
	}
	if err := makeCacheDir(data, o); err != nil {
		return "", nil, fmt.Errorf("cache mount %s: %w", id, err)
	}
	if o.Sharing == "" || o.Sharing == "shared" {
		return data, func() {}, nil
	}
	lock, err := os.OpenFile(filepath.Join(base, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", nil, fmt.Errorf("cache mount %s: %w", id, err)
	}
	for {
		err = unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return data, func() { lock.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			lock.Close()
			return "", nil, fmt.Errorf("cache mount %s: %w", id, err)
		}
		if o.Sharing == "private" { // in use: a fresh instance for this step only
			lock.Close()
			return s.privateCacheMount(base, id, o)
		}
		select {
		case <-ctx.Done():
			lock.Close()
			return "", nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// privateCacheMount makes a throwaway instance of a busy private cache.
func (s *Store) privateCacheMount(base, id string, o CacheMountOptions) (string, func(), error) {
	dir, err := os.MkdirTemp(base, "private-")
	if err != nil {
		return "", nil, fmt.Errorf("cache mount %s: %w", id, err)
	}
	data := filepath.Join(dir, "data")
	if err := makeCacheDir(data, o); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("cache mount %s: %w", id, err)
	}
	return data, func() { os.RemoveAll(dir) }, nil
}

// makeCacheDir makes a cache mount's directory with its owner and mode. It
// is made under a name of its own and renamed into place, so that builds
// (and parallel stages) making the same cache at once each either place it
// or find the other's.
func makeCacheDir(dir string, o CacheMountOptions) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	mode := o.Mode
	if mode == 0 {
		mode = 0o755
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".new-")
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chown(tmp, o.UID, o.GID); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Remove(tmp)
		if _, serr := os.Stat(dir); serr == nil {
			return nil // made by another at the same time
		}
		return err
	}
	return nil
}
