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
	"strings"
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
	// stmts are the hot queries, kept prepared (prepared.go).
	stmts stmtCache
	sink  func(Event) // see SetEventSink
	// fault, when set, is called at the named points between the steps of
	// commits, removals and unpacks (see SetFault).
	fault func(point string)
}

// SetFault gives the store a hook to call at each named point between the
// steps of its multi-step changes ("image.blob-stored", "image.recorded" …);
// berth's engine passes its kill-anywhere fault (package berth/engine/fault),
// so that a test can kill the process there. nil (the default) calls nothing.
func (s *Store) SetFault(f func(point string)) { s.fault = f }

// at calls the fault hook at a named point.
func (s *Store) at(point string) {
	if s.fault != nil {
		s.fault(point)
	}
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
	// Size is the sum of the layers' content sizes (see contentsize.go), as
	// Docker gives an image's size.
	Size int64
	// Config is the image configuration.
	Config v1.ConfigFile
	// Ext is what the configuration holds beyond v1.ConfigFile's fields
	// (Docker's HEALTHCHECK start interval).
	Ext ConfigExt
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
	// ContentSize is the size of the layer's content once unpacked, as
	// Docker's history and image sizes count it (see contentsize.go).
	ContentSize int64
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
	if _, err := db.Exec(schema + leaseSchema + buildCacheSchema + layerSizeSchema); err != nil {
		return nil, fmt.Errorf("create image tables: %w", err)
	}
	if err := migrateBuildCache(db); err != nil {
		return nil, err
	}
	if err := migrateManifestColumns(db); err != nil {
		return nil, err
	}
	if err := migrateContentSize(db); err != nil {
		return nil, err
	}
	if err := s.sizeLegacyImages(context.Background()); err != nil {
		return nil, err
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
// as the blobs and snapshots, so renames are atomic); done removes it. The
// maker holds an flock on the directory until done, so that the recovery
// (see sweepTemps) tells the directory of a killed process, whose lock is
// free, from one in use. It is made as ".new-…" and renamed once locked: a
// kill in between leaves only a ".new-" name, which is swept when old.
func (s *Store) tmpDir(prefix string) (dir string, done func(), err error) {
	parent := filepath.Join(s.root, "tmp")
	d, err := os.MkdirTemp(parent, ".new-"+prefix)
	if err != nil {
		return "", nil, fmt.Errorf("make temp dir: %w", err)
	}
	f, err := os.Open(d)
	if err == nil {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	}
	dir = filepath.Join(parent, strings.TrimPrefix(filepath.Base(d), ".new-"))
	if err == nil {
		err = os.Rename(d, dir)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		os.RemoveAll(d)
		return "", nil, fmt.Errorf("make temp dir: %w", err)
	}
	return dir, func() { os.RemoveAll(dir); f.Close() }, nil
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

// BlobSize returns the size of the stored blob with the given digest.
func (s *Store) BlobSize(digest string) (int64, error) {
	p, err := s.blobPath(digest)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", digest, err)
	}
	return st.Size(), nil
}
