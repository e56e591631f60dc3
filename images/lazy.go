package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
// the layer as a blob. The step's overlay upper dir is tarred once, only to
// hash it (the layer's digest and diff ID), and becomes the layer's snapshot
// by hard links (linkTree) before the image is recorded; the blob is written
// from the snapshot, by the same deterministic tar (DiffTar), when a save,
// a push or a reader of the layer asks for it, and checked against the
// digest then. A 21 MB COPY layer was written twice (snapshot and blob); now
// once.
//
// Such a layer's blob file is absent while its snapshot (that of the
// layer's chain ID) is present: that pair is what "lazy" means here. The
// snapshot is made under the store lock after the change marker (see
// beginChange), so a process killed before the record leaves an orphan
// snapshot the next change collects, never a record without its content.

// errNotLazy is an upper dir that cannot become a snapshot by links (overlay
// metadata a layer cannot carry): its layer is written as a blob instead.
var errNotLazy = errors.New("layer cannot be kept as a snapshot alone")

// adoption is the snapshot a lazy layer gets when its image is recorded.
type adoption struct {
	key   string // snapshot key: the layer's chain ID, hex
	upper string // the finished overlay upper dir
	pm    *patternmatcher.PatternMatcher
}

// hashUpper tars upper (without exclude, as DiffTar) only to hash it: the
// layer of a lazy commit, with no file behind it.
func hashUpper(ctx context.Context, upper string, exclude []string) (layerFile, error) {
	rc, err := DiffTar(upper, exclude...)
	if err != nil {
		return layerFile{}, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := copyHashing(io.Discard, h, &ctxReader{ctx: ctx, r: rc})
	if err != nil {
		return layerFile{}, fmt.Errorf("hash layer of %s: %w", upper, err)
	}
	d := "sha256:" + hex.EncodeToString(h.Sum(nil))
	return layerFile{digest: d, diffID: d, size: n, mediaType: types.OCIUncompressedLayer}, nil
}

// lazyCommit prepares Commit's layer from opts.UpperDir: the hashed layer
// and the snapshot to adopt under the parent's chain.
func lazyCommit(ctx context.Context, opts CommitOptions) (layerFile, *adoption, error) {
	var patterns []string
	for _, p := range opts.Exclude {
		patterns = append(patterns, strings.TrimPrefix(filepath.Clean(p), "/"))
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return layerFile{}, nil, fmt.Errorf("commit: %w", err)
	}
	lf, err := hashUpper(ctx, opts.UpperDir, opts.Exclude)
	if err != nil {
		return layerFile{}, nil, fmt.Errorf("commit: %w", err)
	}
	parent := ""
	if p := opts.Parent; p != nil && len(p.Layers) > 0 {
		parent = p.Layers[len(p.Layers)-1].ChainID
	}
	return lf, &adoption{key: hexOf(chainID(parent, lf.diffID)), upper: opts.UpperDir, pm: pm}, nil
}

// adopt makes a lazy layer's snapshot; the caller holds the store lock and
// has marked the change. An existing snapshot of the chain is kept.
func (s *Store) adopt(ctx context.Context, a *adoption) error {
	_, err := s.ensureSnapshot(ctx, a.key, func(dir string) error { return linkTree(ctx, a.upper, dir, a.pm) })
	if errors.Is(err, errNotAdoptable) {
		return fmt.Errorf("%w: %w", errNotLazy, err)
	}
	if err != nil {
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
	if _, err := os.Stat(filepath.Join(dir, "link")); err != nil {
		return "", false
	}
	return filepath.Join(dir, "diff"), true
}

// readLazy streams the tar of a lazy layer's snapshot through fn and checks
// it against the layer's digest and size, as readLayer does for a blob.
func readLazy(ctx context.Context, dir string, l *Layer, fn func(io.Reader) error) error {
	rc, err := DiffTar(dir)
	if err != nil {
		return fmt.Errorf("read layer %s: %w", l.Digest, err)
	}
	defer rc.Close()
	return readLayerFrom(ctx, rc, l, fn)
}

// ensureBlobs writes the blob of each lazy layer of img from its snapshot
// (for save and push, which hand blobs on as files), checked against the
// layer's digest before it is put in place.
func (s *Store) ensureBlobs(ctx context.Context, img *Image) error {
	for i := range img.Layers {
		l := &img.Layers[i]
		if _, ok := s.lazyDir(l); !ok {
			continue
		}
		if err := s.writeLazyBlob(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

// writeLazyBlob writes one lazy layer's blob under the store lock (every
// writer of the blob directory holds it).
func (s *Store) writeLazyBlob(ctx context.Context, l *Layer) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	dir, ok := s.lazyDir(l)
	if !ok {
		return nil // written meanwhile, or its snapshot went with its image
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
		return corrupt(l.Digest, lf.digest, lf.size, l.Size)
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
func verifyLazy(ctx context.Context, dir string, l *Layer) error {
	err := readLazy(ctx, dir, l, func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
	if err != nil && !errdefs.IsDataLoss(err) {
		return plainf(ErrCorruptBlob, "layer %s: its snapshot cannot be read (%v)", l.Digest, err)
	}
	return err
}
