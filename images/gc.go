package images

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// staleTmp is how old a temp dir must be before gc removes it: younger ones may
// belong to an unpack or pull running in another process.
const staleTmp = time.Hour

// gc removes blobs and snapshots that no image record references, and stale
// temp dirs, returning the bytes freed. The caller holds the store lock.
func (s *Store) gc(ctx context.Context) (int64, error) {
	refs, err := s.references(ctx)
	if err != nil {
		return 0, err
	}
	blobs, snaps := refs.blobs, refs.snaps
	var freed int64
	blobDir := filepath.Join(string(s.lp), "blobs", "sha256")
	ents, _ := os.ReadDir(blobDir)
	for _, e := range ents {
		// Every writer of the blob directory holds the store lock, as the
		// caller does: a temp file there is one a killed writer left.
		if _, used := blobs[e.Name()]; used {
			continue
		}
		if fi, err := e.Info(); err == nil {
			freed += fi.Size()
		}
		_ = os.Remove(filepath.Join(blobDir, e.Name()))
		s.at("image.gc.blob-removed")
	}
	snapDir := filepath.Join(s.root, "snapshots")
	ents, _ = os.ReadDir(snapDir)
	for _, e := range ents {
		name := e.Name()
		if snaps[name] || (strings.HasPrefix(name, ".") && !isStale(e)) {
			continue
		}
		freed += s.removeSnapshot(filepath.Join(snapDir, name))
	}
	// Lock files of unreferenced snapshots go too; removing one that is held only
	// lets a racing unpack repeat work (its rename still keeps one result).
	lockDir := filepath.Join(s.root, "locks")
	ents, _ = os.ReadDir(lockDir)
	for _, e := range ents {
		if key, ok := strings.CutPrefix(e.Name(), "snapshot-"); ok && !snaps[key] {
			_ = os.Remove(filepath.Join(lockDir, e.Name()))
		}
	}
	s.sweepLinks()
	s.sweepTmp()
	for _, t := range s.deadLayoutTemps() {
		_ = os.Remove(t)
	}
	return freed, nil
}

// removeSnapshot deletes a snapshot dir and its short link, returning its size.
func (s *Store) removeSnapshot(dir string) int64 {
	if b, err := os.ReadFile(filepath.Join(dir, "link")); err == nil {
		if name := strings.TrimSpace(string(b)); name != "" && !strings.ContainsAny(name, "/.") {
			_ = os.Remove(filepath.Join(s.root, "l", name))
		}
	}
	size := dirSize(dir)
	_ = os.RemoveAll(dir)
	return size
}

// sweepLinks removes short links whose snapshot is gone (a crash between link
// and rename leaves one; old ones only, as a live unpack may be mid-way).
func (s *Store) sweepLinks() {
	ldir := filepath.Join(s.root, "l")
	ents, _ := os.ReadDir(ldir)
	for _, e := range ents {
		p := filepath.Join(ldir, e.Name())
		if _, err := os.Stat(p); err != nil && isStale(e) {
			_ = os.Remove(p)
		}
	}
}

func (s *Store) sweepTmp() {
	tdir := filepath.Join(s.root, "tmp")
	ents, _ := os.ReadDir(tdir)
	for _, e := range ents {
		if isStale(e) {
			_ = os.RemoveAll(filepath.Join(tdir, e.Name()))
		}
	}
}

func isStale(e fs.DirEntry) bool {
	fi, err := e.Info()
	return err == nil && time.Since(fi.ModTime()) > staleTmp
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
