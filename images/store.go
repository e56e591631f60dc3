// Package images keeps container images for berth: blobs in a content-addressed
// OCI image layout, image records and tags in SQL tables, and layers unpacked once
// per chain ID into overlay-ready snapshots linked under short names, as Docker's
// overlay2 driver does. It imports nothing else of berth.
package images

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"golang.org/x/sys/unix"
)

// Store is an image store rooted at one directory and backed by one database.
// It is safe for use by several goroutines and by several processes at once.
type Store struct {
	root string
	db   *sql.DB
	lp   layout.Path
	sink func(Event) // see SetEventSink
}

// Image is one image as the store knows it.
type Image struct {
	// ID is "sha256:<config digest>".
	ID string
	// RepoTags are familiar tags such as "busybox:latest".
	RepoTags []string
	// RepoDigests are familiar digest references such as "busybox@sha256:...".
	RepoDigests []string
	// Created is the creation time recorded in the image config.
	Created time.Time
	// Size is the sum of the layer blob sizes.
	Size int64
	// Config is the image configuration.
	Config v1.ConfigFile
	// Layers are the image's layers, bottom-most first.
	Layers []Layer
	// ManifestDigest is the digest of the image manifest in the OCI layout.
	ManifestDigest string
	// Parent is the ID of the image this one was built on, when known.
	Parent string
}

// Layer is one layer of an image.
type Layer struct {
	// DiffID is the digest of the uncompressed layer tar.
	DiffID string
	// ChainID identifies the layer together with all layers below it.
	ChainID string
	// Digest is the digest of the layer blob as stored.
	Digest string
	// MediaType is the media type of the stored blob.
	MediaType string
	// Size is the size of the layer blob as stored.
	Size int64
	// CreatedBy is the history entry that made the layer, when known.
	CreatedBy string
}

const schema = `
CREATE TABLE IF NOT EXISTS img_images (
	id TEXT PRIMARY KEY,
	manifest TEXT NOT NULL,
	created INTEGER NOT NULL,
	size INTEGER NOT NULL,
	config BLOB NOT NULL,
	layers BLOB NOT NULL,
	parent TEXT NOT NULL DEFAULT '',
	added INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS img_tags (
	ref TEXT PRIMARY KEY,
	image_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS img_tags_image ON img_tags(image_id);
CREATE TABLE IF NOT EXISTS img_digests (
	ref TEXT PRIMARY KEY,
	image_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS img_digests_image ON img_digests(image_id);
`

// Open opens (creating when needed) the store under root, keeping its records in db.
func Open(root string, db *sql.DB) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("image store root %s: %w", root, err)
	}
	for _, d := range []string{"oci", "snapshots", "l", "tmp", "locks"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o700); err != nil {
			return nil, fmt.Errorf("create image store dir: %w", err)
		}
	}
	s := &Store{root: abs, db: db, lp: layout.Path(filepath.Join(abs, "oci"))}
	if _, err := os.Stat(filepath.Join(abs, "oci", "index.json")); errors.Is(err, os.ErrNotExist) {
		if _, err := layout.Write(filepath.Join(abs, "oci"), empty.Index); err != nil {
			return nil, fmt.Errorf("create OCI layout: %w", err)
		}
	}
	if _, err := db.Exec(schema + leaseSchema + buildCacheSchema); err != nil {
		return nil, fmt.Errorf("create image tables: %w", err)
	}
	return s, nil
}

// Root returns the store's root directory; Prepare's lowerdir entries are relative to it.
func (s *Store) Root() string { return s.root }

// lock takes an exclusive lock on the store across processes; call the returned
// function to release it.
func (s *Store) lock(ctx context.Context) (func(), error) {
	return lockFile(ctx, filepath.Join(s.root, "lock"))
}

// lockFile takes an exclusive flock on path (created when missing), waiting until
// ctx ends; call the returned function to release it.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store lock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { _ = f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock image store: %w", err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("lock image store: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// tmpDir makes a private directory under the store's tmp dir (same filesystem
// as the blobs and snapshots, so renames are atomic).
func (s *Store) tmpDir(prefix string) (string, error) {
	d, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), prefix)
	if err != nil {
		return "", fmt.Errorf("make temp dir: %w", err)
	}
	return d, nil
}

// blobPath is where a blob with the given digest ("sha256:hex") lives.
func (s *Store) blobPath(digest string) (string, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid digest %q", digest))
	}
	return filepath.Join(string(s.lp), "blobs", h.Algorithm, h.Hex), nil
}

func notFound(ref string) error {
	return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("no such image: %s", ref))
}

// errInvalid is errdefs.ErrInvalidArgument, for brevity.
var errInvalid = errdefs.ErrInvalidArgument
