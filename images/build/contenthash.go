package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"berth/images"
)

// Bounds of the kept content digests: entries per context, contexts kept.
const (
	maxHashEntries  = 1 << 18
	maxHashContexts = 64
)

// hashDir is where the digests of each context are kept, under the store.
func hashDir(storeRoot string) string { return filepath.Join(storeRoot, "contenthash") }

// statKey is what says a file is unchanged without reading it, as
// BuildKit's contenthash decides: size, modification time, inode and mode.
type statKey struct {
	Size  int64  `json:"s"`
	Mtime int64  `json:"m"`
	Ino   uint64 `json:"i"`
	Dev   uint64 `json:"d"`
	Mode  uint32 `json:"o"`
}

// hashRecord is one file's kept digest and the stat it was taken at.
type hashRecord struct {
	statKey
	Digest string `json:"h"`
}

// hashCache holds a context's file digests between builds (in a file under
// the store), so a rebuild reads only the files whose stat changed.
type hashCache struct {
	file string // "" keeps nothing (no context)
	open func(string) (io.ReadCloser, error)

	mu      sync.Mutex
	Context string                `json:"context"`
	Files   map[string]hashRecord `json:"files"`
	used    map[string]bool
	changed bool
}

// loadHashes reads the digests kept for the context dir (none when missing
// or unreadable: they are only a cache).
func loadHashes(storeRoot, dir string, open func(string) (io.ReadCloser, error)) *hashCache {
	sum := sha256.Sum256([]byte(dir))
	h := &hashCache{file: filepath.Join(hashDir(storeRoot), hex.EncodeToString(sum[:16])+".json"), open: open,
		Context: dir, Files: map[string]hashRecord{}, used: map[string]bool{}}
	if b, err := os.ReadFile(h.file); err == nil {
		var kept hashCache
		if json.Unmarshal(b, &kept) == nil && kept.Context == dir && kept.Files != nil {
			h.Files = kept.Files
		}
	}
	return h
}

// digest is the content digest of the regular file p (rel in the context):
// the kept one when its stat is unchanged, else read and kept.
func (h *hashCache) digest(p, rel string, fi fs.FileInfo) (string, error) {
	key := statOf(fi)
	h.mu.Lock()
	rec, ok := h.Files[rel]
	h.used[rel] = true
	h.mu.Unlock()
	if ok && rec.statKey == key {
		return rec.Digest, nil
	}
	f, err := h.open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", rel, err)
	}
	d := hex.EncodeToString(sum.Sum(nil))
	h.mu.Lock()
	h.Files[rel], h.changed = hashRecord{statKey: key, Digest: d}, true
	h.mu.Unlock()
	return d, nil
}

// statOf is a file's statKey.
func statOf(fi fs.FileInfo) statKey {
	k := statKey{Size: fi.Size(), Mtime: fi.ModTime().UnixNano(), Mode: uint32(fi.Mode())}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.Ino, k.Dev = st.Ino, uint64(st.Dev)
	}
	return k
}

// save writes the digests back when they changed, keeping at most
// maxHashEntries (those this build used first) and the maxHashContexts
// contexts built most recently.
func (h *hashCache) save() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file == "" || !h.changed {
		return nil
	}
	if len(h.Files) > maxHashEntries {
		for rel := range h.Files {
			if len(h.Files) <= maxHashEntries {
				break
			}
			if !h.used[rel] {
				delete(h.Files, rel)
			}
		}
	}
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("keep context digests: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(h.file), 0o700); err != nil {
		return fmt.Errorf("keep context digests: %w", err)
	}
	tmp := h.file + ".tmp" + fmt.Sprint(os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keep context digests: %w", err)
	}
	if err := os.Rename(tmp, h.file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keep context digests: %w", err)
	}
	h.changed = false
	trimHashes(filepath.Dir(h.file), maxHashContexts)
	return nil
}

// trimHashes removes the least recently written context files beyond keep.
func trimHashes(dir string, keep int) {
	ents, _ := os.ReadDir(dir)
	type kept struct {
		name string
		mod  time.Time
	}
	var files []kept
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && filepath.Ext(e.Name()) == ".json" {
			files = append(files, kept{e.Name(), fi.ModTime()})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod.After(files[j].mod) })
	for i := keep; i < len(files); i++ {
		os.Remove(filepath.Join(dir, files[i].name))
	}
}

// ContextHashes lists the kept context digests as build cache entries
// (type source.local, as BuildKit lists local contexts).
func ContextHashes(storeRoot string) []images.CacheEntry {
	ents, _ := os.ReadDir(hashDir(storeRoot))
	var out []images.CacheEntry
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		var h hashCache
		desc := "local source for context"
		if b, err := os.ReadFile(filepath.Join(hashDir(storeRoot), e.Name())); err == nil && json.Unmarshal(b, &h) == nil {
			desc += " " + h.Context
		}
		out = append(out, images.CacheEntry{ID: e.Name()[:len(e.Name())-len(".json")], Type: "source.local",
			Description: desc, Size: fi.Size(), Created: fi.ModTime()})
	}
	return out
}

// PruneContextHashes removes every kept context digest file (a build in
// progress keeps its own in memory) and returns their IDs and bytes.
func PruneContextHashes(storeRoot string) ([]string, int64, error) {
	var removed []string
	var size int64
	for _, e := range ContextHashes(storeRoot) {
		err := os.Remove(filepath.Join(hashDir(storeRoot), e.ID+".json"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, size, fmt.Errorf("prune context digests: %w", err)
		}
		removed, size = append(removed, e.ID), size+e.Size
	}
	return removed, size, nil
}
