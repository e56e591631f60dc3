package images

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/go-archive"
	"golang.org/x/sys/unix"
)

// emptySnapshot is the snapshot key used for images without layers.
const emptySnapshot = "empty"

// Prepare makes sure every layer of img is unpacked (once per chain ID) and
// returns the lowerdir entries for an overlay mount, top-most layer first, each
// "l/<SHORT>" relative to Root(): mount with the working directory at Root() and
// pass strings.Join(lowers, ":") as lowerdir. An image without layers gets one
// empty snapshot, so the mount always has a lower layer.
func (s *Store) Prepare(ctx context.Context, img *Image) ([]string, error) {
	if len(img.Layers) == 0 {
		link, err := s.ensureSnapshot(ctx, emptySnapshot, nil)
		if err != nil {
			return nil, err
		}
		return []string{"l/" + link}, nil
	}
	lowers := make([]string, len(img.Layers))
	for i, l := range img.Layers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", img.ID, err)
		}
		link, err := s.ensureSnapshot(ctx, hexOf(l.ChainID), func(dir string) error { return s.unpack(ctx, dir, &l) })
		if err != nil {
			return nil, fmt.Errorf("prepare layer %d of %s: %w", i+1, img.ID, err)
		}
		lowers[len(img.Layers)-1-i] = "l/" + link
	}
	return lowers, nil
}

// SnapshotDir is the absolute diff directory of the snapshot with the given chain ID.
func (s *Store) SnapshotDir(chainID string) string {
	return filepath.Join(s.root, "snapshots", hexOf(chainID), "diff")
}

func hexOf(digest string) string {
	_, h, ok := strings.Cut(digest, ":")
	if !ok {
		return digest
	}
	return h
}

// ensureSnapshot returns the short link name of the snapshot key, filling its
// diff dir first (unpacking the layer) when the snapshot does not exist yet;
// fill nil makes an empty one. The fill happens in a temp dir renamed into
// place, so a snapshot dir either is complete or absent.
func (s *Store) ensureSnapshot(ctx context.Context, key string, fill func(dir string) error) (string, error) {
	dir := filepath.Join(s.root, "snapshots", key)
	if link, err := os.ReadFile(filepath.Join(dir, "link")); err == nil {
		return strings.TrimSpace(string(link)), nil
	}
	// One unpack per chain ID, across goroutines and processes.
	unlock, err := lockFile(ctx, filepath.Join(s.root, "locks", "snapshot-"+key))
	if err != nil {
		return "", err
	}
	defer unlock()
	if link, err := os.ReadFile(filepath.Join(dir, "link")); err == nil {
		return strings.TrimSpace(string(link)), nil
	}
	// Named after the whole key, so that a sweep can take the lock above
	// and tell the dir of a killed unpack (see sweepTemps).
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "snapshots"), ".tmp-"+key+"-")
	if err != nil {
		return "", fmt.Errorf("make snapshot dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(filepath.Join(tmp, "diff"), 0o755); err != nil {
		return "", fmt.Errorf("make snapshot dir: %w", err)
	}
	if fill != nil {
		if err := fill(filepath.Join(tmp, "diff")); err != nil {
			return "", err
		}
	}
	s.at("image.snapshot-unpacked")
	return s.commitSnapshot(tmp, key, func() { s.at("image.snapshot-linked") })
}

// commitSnapshot gives tmp (a filled snapshot dir: diff/) a short link and
// renames it into place as key's snapshot, returning the link name; when
// key has a snapshot already, that one's. The caller holds key's snapshot
// lock. linked, when not nil, runs between the link and the rename (a
// fault point).
func (s *Store) commitSnapshot(tmp, key string, linked func()) (string, error) {
	dir := filepath.Join(s.root, "snapshots", key)
	link := shortName()
	if err := os.WriteFile(filepath.Join(tmp, "link"), []byte(link), 0o644); err != nil {
		return "", fmt.Errorf("write snapshot link: %w", err)
	}
	linkPath := filepath.Join(s.root, "l", link)
	if err := os.Symlink(filepath.Join("..", "snapshots", key, "diff"), linkPath); err != nil {
		return "", fmt.Errorf("link snapshot: %w", err)
	}
	if linked != nil {
		linked()
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Remove(linkPath)
		if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTEMPTY) {
			// Another unpack of the same chain ID won the race; use it.
			if b, rerr := os.ReadFile(filepath.Join(dir, "link")); rerr == nil {
				return strings.TrimSpace(string(b)), nil
			}
		}
		return "", fmt.Errorf("commit snapshot %s: %w", key, err)
	}
	return link, nil
}

// shortName makes a random 26-character link name, as Docker's overlay2 does.
func shortName() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

// unpack applies a layer blob into dir after checking every entry, and verifies
// the blob's digest and the uncompressed stream's diff ID.
func (s *Store) unpack(ctx context.Context, dir string, l *Layer) error {
	p, err := s.blobPath(l.Digest)
	if err != nil {
		return err
	}
	return readLayer(ctx, p, l, func(r io.Reader) error { return ApplyLayer(dir, r) })
}

// ApplyLayer unpacks an uncompressed layer tar into dir in overlay form
// (whiteouts become 0:0 character devices, opaque dirs get trusted.overlay.opaque),
// refusing entries that would escape dir. On error dir may hold part of the
// layer; callers unpack into a temp dir and discard it.
func ApplyLayer(dir string, r io.Reader) error {
	pr, pw := io.Pipe()
	checked := make(chan error, 1)
	go func() {
		err := checkTar(r, pw)
		pw.CloseWithError(err)
		checked <- err
	}()
	// Untar (not ApplyLayer) is what Docker's overlay2 uses: it converts
	// whiteouts into overlay form instead of applying them.
	err := archive.UntarUncompressed(pr, dir, &archive.TarOptions{WhiteoutFormat: archive.OverlayWhiteoutFormat})
	_ = pr.CloseWithError(errors.New("unpack ended"))
	cerr := <-checked
	var pe *plainError
	if cerr != nil && (err == nil || errors.As(cerr, &pe)) {
		return cerr // the entry check's error names the entry; prefer it
	}
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	return nil
}

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads from the underlying reader unless the context is done.
func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
