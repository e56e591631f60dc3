package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/patternmatcher"
)

// A build step's layer is kept as its snapshot alone until something needs
// the layer as a blob. The step's overlay upper dir becomes the layer's
// snapshot by hard links (linkTree) in a temp dir of the store, and the
// snapshot is tarred once (DiffTar), only to hash it: the layer's digest
// and diff ID are the snapshot's by construction. The snapshot is put in
// place under the store lock after the change marker (see beginChange),
// just before the image is recorded; the blob is written from it, by the
// same deterministic tar, when a save, a push or a reader of the layer asks
// for it, and checked against the digest then. A 21 MB COPY layer was
// written twice (snapshot and blob); now once.
//
// Such a layer's blob file is absent while its snapshot (that of the
// layer's chain ID) is present: that pair is what "lazy" means here. A
// process killed before the record leaves a temp dir or an orphan snapshot
// that the next change collects, never a record without its content.

// adoption is a lazy layer's snapshot, filled and hashed, waiting to be put
// in place when its image is recorded.
type adoption struct {
	key  string // snapshot key: the layer's chain ID, hex
	dir  string // the filled snapshot dir (diff/ inside), a temp dir of the store
	done func() // removes dir unless it was put in place, and unlocks it
}

// hashLayerDir tars dir as DiffTar does only to hash it: the layer of a lazy
// commit, with no file behind it.
func hashLayerDir(ctx context.Context, dir string) (layerFile, error) {
	rc, err := DiffTar(dir)
	if err != nil {
		return layerFile{}, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := copyHashing(io.Discard, h, &ctxReader{ctx: ctx, r: rc})
	if err != nil {
		return layerFile{}, fmt.Errorf("hash layer of %s: %w", dir, err)
	}
	d := "sha256:" + hex.EncodeToString(h.Sum(nil))
	return layerFile{digest: d, diffID: d, size: n, mediaType: types.OCIUncompressedLayer}, nil
}

// lazyCommit prepares Commit's layer from opts.UpperDir: the snapshot made
// from it and the layer hashed from that snapshot. ok is false when the
// upper dir cannot become a snapshot by links (another filesystem, overlay
// metadata a layer cannot carry): the caller writes the blob instead.
func (s *Store) lazyCommit(ctx context.Context, opts CommitOptions) (lf layerFile, a *adoption, ok bool, err error) {
	var patterns []string
	for _, p := range opts.Exclude {
		patterns = append(patterns, strings.TrimPrefix(filepath.Clean(p), "/"))
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return layerFile{}, nil, false, fmt.Errorf("commit: %w", err)
	}
	tmp, done, err := s.tmpDir("adopt-")
	if err != nil {
		return layerFile{}, nil, false, err
	}
	diff := filepath.Join(tmp, "diff")
	if err := os.Mkdir(diff, 0o755); err != nil {
		done()
		return layerFile{}, nil, false, fmt.Errorf("commit: %w", err)
	}
	if err := linkTree(ctx, opts.UpperDir, diff, pm); err != nil {
		done()
		if cerr := ctx.Err(); cerr != nil {
			return layerFile{}, nil, false, fmt.Errorf("commit: %w", cerr)
		}
		return layerFile{}, nil, false, nil
	}
	if lf, err = hashLayerDir(ctx, diff); err != nil {
		done()
		return layerFile{}, nil, false, fmt.Errorf("commit: %w", err)
	}
	parent := ""
	if p := opts.Parent; p != nil && len(p.Layers) > 0 {
		parent = p.Layers[len(p.Layers)-1].ChainID
	}
	return lf, &adoption{key: hexOf(chainID(parent, lf.diffID)), dir: tmp, done: done}, true, nil
}

// adopt puts a lazy layer's snapshot in place; the caller holds the store
// lock and has marked the change. An existing snapshot of the chain is kept
// (it holds the same layer: the chain ID names its content).
func (s *Store) adopt(ctx context.Context, a *adoption) error {
	unlock, err := lockFile(ctx, filepath.Join(s.root, "locks", "snapshot-"+a.key))
	if err != nil {
		return err
	}
	defer unlock()
	if snapshotIn(filepath.Join(s.root, "snapshots", a.key)) {
		return nil
	}
	if _, err := s.commitSnapshot(a.dir, a.key, nil); err != nil {
		return fmt.Errorf("adopt snapshot: %w", err)
	}
	s.at("image.snapshot-adopted")
	return nil
}

// lazyDir returns the snapshot that holds l when its blob is absent.
func (s *Store) lazyDir(l *Layer) (string, bool) {
	p, err := s.blobPath(l.Digest)
	if err != nil {
		return "", false
	}
	if _, err := os.Lstat(p); err == nil {
		return "", false
	}
	if l.MediaType != string(types.OCIUncompressedLayer) {
		return "", false
	}
	dir := filepath.Join(s.root, "snapshots", hexOf(l.ChainID))
	if !snapshotIn(dir) {
		return "", false
	}
	return filepath.Join(dir, "diff"), true
}

// readLazy streams the tar of a lazy layer's snapshot through fn and checks
// it against the layer's digest and size, as readLayer does for a blob. A
// snapshot removed meanwhile (its image removed in another process) is not
// found, rather than corrupt.
func (s *Store) readLazy(ctx context.Context, dir string, l *Layer, fn func(io.Reader) error) error {
	rc, err := DiffTar(dir)
	if err != nil {
		return fmt.Errorf("read layer %s: %w", l.Digest, err)
	}
	defer rc.Close()
	err = readLayerFrom(ctx, rc, l, fn)
	if err != nil && !snapshotIn(filepath.Dir(dir)) {
		return plainf(errdefs.ErrNotFound, "layer %s was removed while it was read", l.Digest)
	}
	return err
}

// ensureBlobs writes the blob of each lazy layer of img from its snapshot
// (for save and push, which hand blobs on as files), checked against the
// layer's digest before it is put in place.
func (s *Store) ensureBlobs(ctx context.Context, img *Image) error {
	for i := range img.Layers {
		if err := s.writeLazyBlob(ctx, &img.Layers[i]); err != nil {
			return err
		}
	}
	return nil
}

// writeLazyBlob writes one lazy layer's blob: tarred and checked in a temp
// dir, then put in place under the store lock (every writer of the blob
// directory holds it), unless it is there by then.
func (s *Store) writeLazyBlob(ctx context.Context, l *Layer) error {
	dir, ok := s.lazyDir(l)
	if !ok {
		return nil
	}
	tmp, done, err := s.tmpDir("blob-")
	if err != nil {
		return err
	}
	defer done()
	rc, err := DiffTar(dir)
	if err != nil {
		return fmt.Errorf("write layer %s: %w", l.Digest, err)
	}
	defer rc.Close()
	lf, err := writeDiffTar(ctx, tmp, rc.(*diffTar), true)
	if err != nil {
		return fmt.Errorf("write layer %s: %w", l.Digest, err)
	}
	if lf.digest != l.Digest || lf.size != l.Size {
		if !snapshotIn(filepath.Dir(dir)) {
			return plainf(errdefs.ErrNotFound, "layer %s was removed while it was written", l.Digest)
		}
		return corrupt(l.Digest, lf.digest, lf.size, l.Size)
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := s.lazyDir(l); !ok {
		return nil // written meanwhile, or its snapshot went with its image
	}
	dst, err := s.blobPath(l.Digest)
	if err != nil {
		return err
	}
	if err := os.Rename(lf.path, dst); err != nil {
		return fmt.Errorf("store blob %s: %w", l.Digest, err)
	}
	s.at("image.lazy-blob-written")
	return nil
}

// verifyLazy checks that a lazy layer's snapshot still gives its layer.
func (s *Store) verifyLazy(ctx context.Context, dir string, l *Layer) error {
	err := s.readLazy(ctx, dir, l, func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
	if err != nil && !errdefs.IsDataLoss(err) && !errdefs.IsNotFound(err) {
		return plainf(ErrCorruptBlob, "layer %s: its snapshot cannot be read (%v)", l.Digest, err)
	}
	return err
}

// pathExists reports whether p exists (without following a last symlink).
func pathExists(p string) bool { _, err := os.Lstat(p); return err == nil }

// snapshotIn reports whether the snapshot dir is in place: its link file,
// written before the dir is renamed into place, is there. One removed
// meanwhile (its image removed in another process) is not.
func snapshotIn(dir string) bool { return pathExists(filepath.Join(dir, "link")) }
