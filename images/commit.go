package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
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
	var size int64
	for _, l := range p.layers {
		size += l.Size
	}
	_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO img_images (id, manifest, created, size, config, layers, parent, added)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.id, p.manifestDigest, p.cfg.Created.UnixNano(), size, cfgJSON, layersJSON, p.parent, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("record image %s: %w", p.id, err)
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

// syncIndex rewrites the OCI layout's index.json from the records: one entry per
// tag (annotated as containerd and Docker 25+ do) and one per untagged image.
// The caller holds the store lock.
func (s *Store) syncIndex(ctx context.Context) error {
	b, err := s.indexJSON(ctx)
	if err != nil {
		return err
	}
	return writeFileAtomic(s.indexPath(), b, 0o644)
}

func (s *Store) indexPath() string { return filepath.Join(string(s.lp), "index.json") }

// indexJSON is the index.json the records call for.
func (s *Store) indexJSON(ctx context.Context) ([]byte, error) {
	ids, err := s.allIDs(ctx, s.db)
	if err != nil {
		return nil, err
	}
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}
	for _, id := range ids {
		img, err := s.loadImage(ctx, s.db, id)
		if err != nil {
			return nil, err
		}
		desc, err := s.manifestDescriptor(img)
		if err != nil {
			return nil, err
		}
		if len(img.RepoTags) == 0 {
			idx.Manifests = append(idx.Manifests, desc)
		}
		for _, t := range img.RepoTags {
			d := desc
			d.Annotations = refAnnotations(t)
			idx.Manifests = append(idx.Manifests, d)
		}
	}
	b, err := json.Marshal(idx)
	if err != nil {
		return nil, fmt.Errorf("encode index.json: %w", err)
	}
	return b, nil
}

// indexStale reports whether index.json differs from what the records call
// for (a commit or removal killed before it rewrote it); the caller holds the
// store lock.
func (s *Store) indexStale(ctx context.Context) (bool, error) {
	want, err := s.indexJSON(ctx)
	if err != nil {
		return false, err
	}
	have, err := os.ReadFile(s.indexPath())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("read index.json: %w", err)
	}
	return !bytes.Equal(have, want), nil
}

// refAnnotations are the index annotations Docker 25+ writes for a tag.
func refAnnotations(familiarTag string) map[string]string {
	r, err := ParseReference(familiarTag)
	if err != nil {
		return nil
	}
	full := r.Name.Context().Name()
	if r.Name.Context().RegistryStr() == "index.docker.io" {
		full = "docker.io/" + r.Name.Context().RepositoryStr()
	}
	return map[string]string{
		"io.containerd.image.name":          full + ":" + r.Tag,
		"org.opencontainers.image.ref.name": r.Tag,
	}
}

// manifestDescriptor describes an image's manifest blob.
func (s *Store) manifestDescriptor(img *Image) (v1.Descriptor, error) {
	p, err := s.blobPath(img.ManifestDigest)
	if err != nil {
		return v1.Descriptor{}, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("read manifest of %s: %w", img.ID, err)
	}
	h, _ := v1.NewHash(img.ManifestDigest)
	mt := types.OCIManifestSchema1
	var probe struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	if json.Unmarshal(b, &probe) == nil && probe.MediaType != "" {
		mt = probe.MediaType
	}
	return v1.Descriptor{MediaType: mt, Size: int64(len(b)), Digest: h}, nil
}
