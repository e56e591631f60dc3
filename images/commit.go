package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// chainID computes the chain ID of a layer from its parent's chain ID and its diff ID.
func chainID(parent, diffID string) string {
	if parent == "" {
		return diffID
	}
	sum := sha256.Sum256([]byte(parent + " " + diffID))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// newImage is an image ready to enter the store: its manifest and config, the
// blob files (digest → temp path) to move into the layout, and its references.
type newImage struct {
	manifest []byte
	config   []byte
	blobs    map[string]string
	tags     []string // familiar "repo:tag"
	digests  []string // familiar "repo@sha256:..."
	parent   string
	adopt    *adoption // the snapshot of a lazy top layer, or nil
}

// preparedImage is a newImage whose manifest and config parsed and agree.
type preparedImage struct {
	newImage
	id, manifestDigest string
	cfg                *v1.ConfigFile
	layers             []Layer
}

// prepareNew parses an image's manifest and config and pairs their layers.
func prepareNew(n newImage) (*preparedImage, error) {
	m, err := v1.ParseManifest(bytes.NewReader(n.manifest))
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("parse manifest: %v", err))
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(n.config))
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("parse image config: %v", err))
	}
	if m.Config.Digest.String() != digestOf(n.config) {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("config digest %s does not match manifest %s", digestOf(n.config), m.Config.Digest))
	}
	layers, err := describeLayers(m, cfg)
	if err != nil {
		return nil, err
	}
	return &preparedImage{newImage: n, id: digestOf(n.config), manifestDigest: digestOf(n.manifest), cfg: cfg, layers: layers}, nil
}

// commit moves an image's blobs into the layout and records it in one transaction.
func (s *Store) commit(ctx context.Context, n newImage) (*Image, error) {
	p, err := prepareNew(n)
	if err != nil {
		return nil, err
	}
	imgs, err := s.commitAll(ctx, []*preparedImage{p})
	if err != nil {
		return nil, err
	}
	return imgs[0], nil
}

// commitAll moves the images' blobs into the layout and records them all in one
// transaction: every image is stored or none is, and blob files this call
// added are removed again when it fails. A blob file already present is
// replaced by the new (verified) one, which repairs a corrupt copy.
func (s *Store) commitAll(ctx context.Context, ps []*preparedImage) ([]*Image, error) {
	for _, p := range ps {
		if err := s.sizeLayers(ctx, p); err != nil {
			return nil, err
		}
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.beginChange(ctx); err != nil {
		return nil, err
	}
	batch := &blobBatch{s: s, moved: map[string]bool{}}
	for _, p := range ps {
		if p.adopt != nil {
			if err := s.adopt(ctx, p.adopt); err != nil {
				batch.undo()
				return nil, err
			}
		}
		if err := batch.store(p.newImage); err != nil {
			batch.undo()
			return nil, err
		}
	}
	s.at("image.blobs-stored")
	if err := s.record(ctx, ps); err != nil {
		batch.undo()
		return nil, err
	}
	s.at("image.recorded")
	if err := s.syncIndex(ctx); err != nil {
		return nil, err
	}
	if err := s.endChange(); err != nil {
		return nil, err
	}
	out := make([]*Image, len(ps))
	for i, p := range ps {
		if out[i], err = s.loadImage(ctx, s.db, p.id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// blobBatch moves the blobs of one commit into the layout and remembers the
// files it created, so a failed commit can take them back.
type blobBatch struct {
	s     *Store
	added []string        // blob files that did not exist before
	moved map[string]bool // digests already moved into place
}

// store moves an image's temp blob files into place (over any copy already
// there) and writes its manifest and config.
func (b *blobBatch) store(n newImage) error {
	for digest, tmp := range n.blobs {
		if b.moved[digest] {
			continue // another image of the batch shares the blob
		}
		dst, err := b.s.blobPath(digest)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("store blob %s: %w", digest, err)
		}
		_, statErr := os.Lstat(dst)
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("store blob %s: %w", digest, err)
		}
		b.moved[digest] = true
		if statErr != nil {
			b.added = append(b.added, dst)
		}
		b.s.at("image.blob-stored")
	}
	for _, blob := range [][]byte{n.config, n.manifest} {
		p, err := b.s.writeBlob(blob)
		if err != nil {
			return err
		}
		if p != "" {
			b.added = append(b.added, p)
		}
	}
	return nil
}

// undo removes the blob files the batch created.
func (b *blobBatch) undo() {
	for _, p := range b.added {
		_ = os.Remove(p)
	}
}

// writeBlob writes a small blob atomically (temp file, then rename), unless a
// copy with the same content is there already. It returns the path when it
// created the file, "" when it kept or repaired an existing one.
func (s *Store) writeBlob(b []byte) (string, error) {
	dst, err := s.blobPath(digestOf(b))
	if err != nil {
		return "", err
	}
	old, err := os.ReadFile(dst)
	if err == nil && bytes.Equal(old, b) {
		return "", nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("write blob: %w", err)
	}
	if werr := writeFileAtomic(dst, b, 0o644); werr != nil {
		return "", werr
	}
	if err != nil {
		return dst, nil
	}
	return "", nil
}

func writeFileAtomic(dst string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return nil
}

// record inserts the images' rows and moves their tags and digests onto them,
// all in one transaction.
func (s *Store) record(ctx context.Context, ps []*preparedImage) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record images: %w", err)
	}
	defer tx.Rollback()
	for _, p := range ps {
		if err := recordOne(ctx, tx, p); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record images: %w", err)
	}
	return nil
}

// recordOne inserts one image row (kept when present) and its references.
// The row keeps the config as its blob has it, so that the fields
// v1.ConfigFile lacks (ConfigExt) are read back.
func recordOne(ctx context.Context, tx *sql.Tx, p *preparedImage) error {
	cfgJSON := p.config
	layersJSON, err := json.Marshal(p.layers)
	if err != nil {
		return fmt.Errorf("encode layers: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO img_images (id, manifest, created, size, config, layers, parent, added, manifest_size, manifest_type, content_sized)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`, p.id, p.manifestDigest, p.cfg.Created.UnixNano(), contentSizeOf(p.layers), cfgJSON, layersJSON, p.parent, time.Now().UnixNano(),
		len(p.manifest), string(manifestMediaType(p.manifest)))
	if err != nil {
		return fmt.Errorf("record image %s: %w", p.id, err)
	}
	if err := recordContentSizes(ctx, tx, p.layers); err != nil {
		return err
	}
	for _, t := range p.tags {
		if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO img_tags (ref, image_id) VALUES (?, ?)", t, p.id); err != nil {
			return fmt.Errorf("tag image %s as %s: %w", p.id, t, err)
		}
	}
	for _, d := range p.digests {
		if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO img_digests (ref, image_id) VALUES (?, ?)", d, p.id); err != nil {
			return fmt.Errorf("record digest %s: %w", d, err)
		}
	}
	return nil
}
