package images

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// legacyManifestSize marks an image row recorded before the manifest's size
// and media type were kept as columns: its descriptor is read from the blob
// once and then stored.
const legacyManifestSize = -1

// migrateManifestColumns adds the manifest descriptor columns to a table
// made before them. Two processes opening the store at once may both try:
// the loser's "duplicate column" is no failure.
func migrateManifestColumns(db *sql.DB) error {
	for _, def := range []string{"manifest_size INTEGER NOT NULL DEFAULT -1", "manifest_type TEXT NOT NULL DEFAULT ''"} {
		if err := addColumn(db, "img_images", def); err != nil {
			return err
		}
	}
	return nil
}

// manifestMediaType is the media type a manifest declares, or the OCI
// manifest type when it declares none.
func manifestMediaType(manifest []byte) types.MediaType {
	var probe struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	if json.Unmarshal(manifest, &probe) == nil && probe.MediaType != "" {
		return probe.MediaType
	}
	return types.OCIManifestSchema1
}

// syncIndex rewrites the OCI layout's index.json from the records: one entry per
// tag (annotated as containerd and Docker 25+ do) and one per untagged image.
// The caller holds the store lock.
func (s *Store) syncIndex(ctx context.Context) error {
	b, err := s.indexJSON(ctx)
	if err != nil {
		return err
	}
	if have, err := os.ReadFile(s.indexPath()); err == nil && bytes.Equal(have, b) {
		return nil // already what the records call for
	}
	return writeFileAtomic(s.indexPath(), b, 0o644)
}

func (s *Store) indexPath() string { return filepath.Join(string(s.lp), "index.json") }

// indexRow is one image with one of its tags ("" for an untagged image).
type indexRow struct {
	id, manifest, mediaType, tag string
	size                         int64
}

// indexJSON is the index.json the records call for: images by ID, each
// image's tags in order. One query reads it all; the manifest descriptors
// are columns of the image rows (manifests are content-addressed, so they
// never change), read from the blob only for rows older than the columns.
// The caller holds the store lock.
func (s *Store) indexJSON(ctx context.Context) ([]byte, error) {
	rows, err := s.indexRows(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.fillLegacyDescriptors(ctx, rows); err != nil {
		return nil, err
	}
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: make([]v1.Descriptor, 0, len(rows))}
	for _, r := range rows {
		h, err := v1.NewHash(r.manifest)
		if err != nil {
			return nil, fmt.Errorf("manifest digest of image %s: %w", r.id, err)
		}
		d := v1.Descriptor{MediaType: types.MediaType(r.mediaType), Size: r.size, Digest: h}
		if r.tag != "" {
			d.Annotations = refAnnotations(r.tag)
		}
		idx.Manifests = append(idx.Manifests, d)
	}
	b, err := json.Marshal(idx)
	if err != nil {
		return nil, fmt.Errorf("encode index.json: %w", err)
	}
	return b, nil
}

// indexRows reads every image joined with its tags, ordered as index.json
// lists them (byte order of the ID, then of the tag).
func (s *Store) indexRows(ctx context.Context) ([]indexRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT i.id, i.manifest, i.manifest_size, i.manifest_type, COALESCE(t.ref, '')
		FROM img_images i LEFT JOIN img_tags t ON t.image_id = i.id ORDER BY i.id, t.ref`)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	defer rows.Close()
	var out []indexRow
	for rows.Next() {
		var r indexRow
		if err := rows.Scan(&r.id, &r.manifest, &r.size, &r.mediaType, &r.tag); err != nil {
			return nil, fmt.Errorf("list images: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	return out, nil
}

// fillLegacyDescriptors reads the manifest blob of each row recorded before
// the descriptor columns and stores its size and media type in the row.
func (s *Store) fillLegacyDescriptors(ctx context.Context, rows []indexRow) error {
	done := map[string]indexRow{}
	for i, r := range rows {
		if r.size != legacyManifestSize {
			continue
		}
		if d, ok := done[r.id]; ok {
			rows[i].size, rows[i].mediaType = d.size, d.mediaType
			continue
		}
		b, err := s.readManifest(r.id, r.manifest)
		if err != nil {
			return err
		}
		rows[i].size, rows[i].mediaType = int64(len(b)), string(manifestMediaType(b))
		done[r.id] = rows[i]
		if _, err := s.db.ExecContext(ctx, "UPDATE img_images SET manifest_size = ?, manifest_type = ? WHERE id = ?",
			rows[i].size, rows[i].mediaType, r.id); err != nil {
			return fmt.Errorf("record manifest of image %s: %w", r.id, err)
		}
	}
	return nil
}

// readManifest reads an image's manifest blob.
func (s *Store) readManifest(id, digest string) ([]byte, error) {
	p, err := s.blobPath(digest)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read manifest of %s: %w", id, err)
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
	b, err := s.readManifest(img.ID, img.ManifestDigest)
	if err != nil {
		return v1.Descriptor{}, err
	}
	h, _ := v1.NewHash(img.ManifestDigest)
	return v1.Descriptor{MediaType: manifestMediaType(b), Size: int64(len(b)), Digest: h}, nil
}
