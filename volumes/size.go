package volumes

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"
)

// SizeTTL is how long a computed volume size is reused before Size walks again.
const SizeTTL = 30 * time.Second

type sizeEntry struct {
	size    int64
	at      time.Time
	err     error
	running bool
}

// Size returns the apparent size in bytes of the volume's data (hard links counted
// once). It walks the whole tree — cost proportional to the number of files — at
// most once per SizeTTL per volume; in between the cached figure is returned.
func (s *Store) Size(ctx context.Context, name string) (int64, error) {
	v, err := s.Get(ctx, name)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	e := s.sizes[name]
	if e != nil && !e.at.IsZero() && time.Since(e.at) < SizeTTL {
		s.mu.Unlock()
		return e.size, e.err
	}
	s.mu.Unlock()
	size, err := dirSize(v.Mountpoint)
	s.storeSize(name, size, err)
	return size, err
}

// SizeAsync never walks in the caller: it returns the last computed size and
// whether there is one, and starts a background walk when the figure is missing or
// older than SizeTTL (one walk per volume at a time). For screens that must not block.
func (s *Store) SizeAsync(ctx context.Context, name string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.sizes[name]
	if e == nil {
		e = &sizeEntry{}
		s.sizes[name] = e
	}
	fresh := !e.at.IsZero() && time.Since(e.at) < SizeTTL
	if !fresh && !e.running {
		e.running = true
		go func() {
			size, err := dirSize(filepath.Join(s.root, name, "_data"))
			s.storeSize(name, size, err)
		}()
	}
	return e.size, !e.at.IsZero() && e.err == nil
}

func (s *Store) storeSize(name string, size int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sizes[name] = &sizeEntry{size: size, at: time.Now(), err: err}
}

func (s *Store) forgetSize(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sizes, name)
}

// dirSize sums the apparent sizes of the files under dir, each inode once.
func dirSize(dir string) (int64, error) {
	type ino struct{ dev, ino uint64 }
	seen := map[ino]bool{}
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 && !d.IsDir() {
			k := ino{uint64(st.Dev), st.Ino}
			if seen[k] {
				return nil
			}
			seen[k] = true
		}
		if !d.IsDir() {
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		return total, fmt.Errorf("size of %s: %w", dir, err)
	}
	return total, nil
}
