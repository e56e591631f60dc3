package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// commit moves an image's blobs into the layout and records it in one transaction.
// Blobs already present are kept; the temp files are then removed.
func (s *Store) commit(ctx context.Context, n newImage) (*Image, error) {
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
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.storeBlobs(n); err != nil {
		return nil, err
	}
	id := digestOf(n.config)
	if err := s.record(ctx, id, digestOf(n.manifest), cfg, n, layers); err != nil {
		return nil, err
	}
	if err := s.syncIndex(ctx); err != nil {
		return nil, err
	}
	return s.loadImage(ctx, s.db, id)
}

// storeBlobs moves temp blob files into place and writes the manifest and config.
func (s *Store) storeBlobs(n newImage) error {
	for digest, tmp := range n.blobs {
		dst, err := s.blobPath(digest)
		if err != nil {
			return err
		}
		if _, err := os.Stat(dst); err == nil {
			_ = os.Remove(tmp)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("store blob %s: %w", digest, err)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("store blob %s: %w", digest, err)
		}
	}
	if err := s.writeBlob(n.config); err != nil {
		return err
	}
	return s.writeBlob(n.manifest)
}

// writeBlob writes a small blob atomically (temp file, then rename).
func (s *Store) writeBlob(b []byte) error {
	dst, err := s.blobPath(digestOf(b))
	if err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("write blob: %w", err)
	}
	return writeFileAtomic(dst, b, 0o644)
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

// record inserts the image row and moves the given tags and digests onto it.
func (s *Store) record(ctx context.Context, id, manifest string, cfg *v1.ConfigFile, n newImage, layers []Layer) error {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	layersJSON, err := json.Marshal(layers)
	if err != nil {
		return fmt.Errorf("encode layers: %w", err)
	}
	var size int64
	for _, l := range layers {
		size += l.Size
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record image %s: %w", id, err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO img_images (id, manifest, created, size, config, layers, parent, added)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, manifest, cfg.Created.UnixNano(), size, cfgJSON, layersJSON, n.parent, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("record image %s: %w", id, err)
	}
	for _, t := range n.tags {
		if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO img_tags (ref, image_id) VALUES (?, ?)", t, id); err != nil {
			return fmt.Errorf("tag image %s as %s: %w", id, t, err)
		}
	}
	for _, d := range n.digests {
		if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO img_digests (ref, image_id) VALUES (?, ?)", d, id); err != nil {
			return fmt.Errorf("record digest %s: %w", d, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record image %s: %w", id, err)
	}
	return nil
}

// syncIndex rewrites the OCI layout's index.json from the records: one entry per
// tag (annotated as containerd and Docker 25+ do) and one per untagged image.
// The caller holds the store lock.
func (s *Store) syncIndex(ctx context.Context) error {
	ids, err := s.allIDs(ctx, s.db)
	if err != nil {
		return err
	}
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}
	for _, id := range ids {
		img, err := s.loadImage(ctx, s.db, id)
		if err != nil {
			return err
		}
		desc, err := s.manifestDescriptor(img)
		if err != nil {
			return err
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
		return fmt.Errorf("encode index.json: %w", err)
	}
	return writeFileAtomic(filepath.Join(string(s.lp), "index.json"), b, 0o644)
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
