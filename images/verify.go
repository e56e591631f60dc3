package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/containerd/errdefs"
	"github.com/moby/go-archive/compression"
)

// ErrCorruptBlob classifies blobs whose content does not match their digest.
var ErrCorruptBlob = errdefs.ErrDataLoss.WithMessage("corrupt blob")

// corrupt describes a blob whose content hashed to got (n bytes) instead of
// digest (want bytes; want < 0 when unknown).
func corrupt(digest, got string, n, want int64) error {
	if got != digest {
		return plainf(ErrCorruptBlob, "blob %s is corrupt: its content has digest %s", digest, got)
	}
	return plainf(ErrCorruptBlob, "blob %s is corrupt: it holds %d bytes, not %d", digest, n, want)
}

// verifyFile checks that the file at p has the given digest (and size, when
// size >= 0), reading it in full.
func verifyFile(ctx context.Context, p, digest string, size int64) error {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return plainf(errdefs.ErrNotFound, "blob %s is missing from the store", digest)
	}
	if err != nil {
		return fmt.Errorf("blob %s: %w", digest, err)
	}
	defer f.Close()
	if size >= 0 {
		if fi, err := f.Stat(); err == nil && fi.Size() != size {
			return corrupt(digest, digest, fi.Size(), size) // cheap: no need to hash
		}
	}
	hr := newHashReader(&ctxReader{ctx: ctx, r: f})
	if _, err := io.Copy(io.Discard, hr); err != nil {
		return fmt.Errorf("read blob %s: %w", digest, err)
	}
	if got := hr.digest(); got != digest || (size >= 0 && hr.n != size) {
		return corrupt(digest, got, hr.n, size)
	}
	return nil
}

// verifyBlob checks a stored blob against its digest (and size when >= 0).
func (s *Store) verifyBlob(ctx context.Context, digest string, size int64) error {
	p, err := s.blobPath(digest)
	if err != nil {
		return err
	}
	return verifyFile(ctx, p, digest, size)
}

// verifyImage checks every blob of a stored image: manifest, config and layers.
func (s *Store) verifyImage(ctx context.Context, img *Image) error {
	if err := s.verifyBlob(ctx, img.ManifestDigest, -1); err != nil {
		return err
	}
	if err := s.verifyBlob(ctx, img.ID, -1); err != nil {
		return err
	}
	for _, l := range img.Layers {
		if err := s.verifyBlob(ctx, l.Digest, l.Size); err != nil {
			return err
		}
	}
	return nil
}

// readLayer streams the layer blob at p through fn as an uncompressed tar
// (gzip and zstd are detected by magic) and then checks the blob's digest and
// size and the tar stream's diff ID. A blob whose digest is wrong is reported
// as corrupt whatever else went wrong while reading it; other errors name the
// layer. fn must consume its reader or fail.
func readLayer(ctx context.Context, p string, l *Layer, fn func(io.Reader) error) error {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return plainf(errdefs.ErrNotFound, "blob %s is missing from the store", l.Digest)
	}
	if err != nil {
		return fmt.Errorf("open layer %s: %w", l.Digest, err)
	}
	defer f.Close()
	return readLayerFrom(ctx, f, l, fn)
}

// readLayerFrom is readLayer over a stream of the layer's blob.
func readLayerFrom(ctx context.Context, r io.Reader, l *Layer, fn func(io.Reader) error) error {
	raw := newHashReader(&ctxReader{ctx: ctx, r: r})
	err := decodeLayer(raw, l, fn)
	if _, derr := io.Copy(io.Discard, raw); derr != nil && err == nil {
		err = fmt.Errorf("read layer %s: %w", l.Digest, derr)
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("read layer %s: %w", l.Digest, cerr)
	}
	if got := raw.digest(); got != l.Digest || raw.n != l.Size {
		return corrupt(l.Digest, got, raw.n, l.Size)
	}
	return err
}

// decodeLayer decompresses raw, hands the tar stream to fn and checks the
// stream's digest against the layer's diff ID. The decompressor is closed
// before it returns, so raw may be read again afterwards.
func decodeLayer(raw io.Reader, l *Layer, fn func(io.Reader) error) error {
	rd, err := compression.DecompressStream(raw)
	if err != nil {
		return plainf(errdefs.ErrInvalidArgument, "layer %s cannot be decompressed (%v)", l.Digest, err)
	}
	h := sha256.New()
	err = fn(io.TeeReader(rd, h))
	if err == nil {
		if _, cerr := io.Copy(h, rd); cerr != nil {
			err = plainf(errdefs.ErrInvalidArgument, "layer %s cannot be decompressed (%v)", l.Digest, cerr)
		}
	} else {
		err = fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	_ = rd.Close()
	if err != nil {
		return err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != l.DiffID {
		return plainf(errdefs.ErrInvalidArgument, "layer %s: content digest %s does not match diff ID %s", l.Digest, got, l.DiffID)
	}
	return nil
}

// checkLayer reads a layer blob as a layer without unpacking it: every entry
// goes through the tar checker, and the digests are verified as readLayer does.
func checkLayer(ctx context.Context, p string, l *Layer) error {
	return readLayer(ctx, p, l, func(r io.Reader) error { return checkTar(r, io.Discard) })
}

// hashReader hashes and counts what is read through it.
type hashReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func newHashReader(r io.Reader) *hashReader { return &hashReader{r: r, h: sha256.New()} }

// Read reads from the underlying reader, hashing what it returns.
func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

func (h *hashReader) digest() string { return "sha256:" + hex.EncodeToString(h.h.Sum(nil)) }
