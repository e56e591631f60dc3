package images

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	fullIDRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(sha256:)?[a-f0-9]{64}$`) })
	shortRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(sha256:)?[a-f0-9]{4,63}$`) })
)

// Resolve finds the image a reference names: a tag ("busybox", "busybox:latest",
// "docker.io/library/busybox:latest", "reg:5000/x/y:t"), a digest reference
// ("name@sha256:..."), a full image ID ("sha256:..." or its hex) or a unique ID
// prefix of at least 4 hex digits. An unknown reference yields errdefs.ErrNotFound.
func (s *Store) Resolve(ref string) (*Image, error) {
	return s.resolve(context.Background(), s.db, ref)
}

func (s *Store) resolve(ctx context.Context, q queryer, ref string) (*Image, error) {
	id, err := s.resolveID(ctx, q, ref)
	if err != nil {
		return nil, err
	}
	return s.loadImage(ctx, q, id)
}

// resolveID maps a reference to an image ID.
func (s *Store) resolveID(ctx context.Context, q queryer, ref string) (string, error) {
	if fullIDRe().MatchString(ref) {
		id := "sha256:" + strings.TrimPrefix(ref, "sha256:")
		if ok, err := s.exists(ctx, q, id); err != nil || ok {
			return id, err
		}
	}
	if r, err := ParseReference(ref); err == nil {
		key, table := r.TagRef(), "img_tags"
		if r.Digest != "" {
			key, table = r.Repo+"@"+r.Digest, "img_digests"
		}
		var id string
		err := q.QueryRowContext(ctx, "SELECT image_id FROM "+table+" WHERE ref = ?", key).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("look up image %q: %w", ref, err)
		}
		if r.Digest != "" {
			if id, err := s.byManifest(ctx, q, r.Digest); err == nil {
				return id, nil
			}
		}
	}
	if shortRe().MatchString(ref) {
		return s.byPrefix(ctx, q, ref)
	}
	return "", notFound(ref)
}

func (s *Store) byManifest(ctx context.Context, q queryer, digest string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, "SELECT id FROM img_images WHERE manifest = ?", digest).Scan(&id)
	if err != nil {
		return "", notFound(digest)
	}
	return id, nil
}

func (s *Store) byPrefix(ctx context.Context, q queryer, ref string) (string, error) {
	prefix := "sha256:" + strings.TrimPrefix(ref, "sha256:")
	rows, err := q.QueryContext(ctx, "SELECT id FROM img_images WHERE substr(id, 1, ?) = ? LIMIT 2", len(prefix), prefix)
	if err != nil {
		return "", fmt.Errorf("look up image %q: %w", ref, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", fmt.Errorf("look up image %q: %w", ref, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("look up image %q: %w", ref, err)
	}
	switch len(ids) {
	case 0:
		return "", notFound(ref)
	case 1:
		return ids[0], nil
	}
	return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("image ID prefix %q is ambiguous", ref))
}

func (s *Store) exists(ctx context.Context, q queryer, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM img_images WHERE id = ?", id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up image %s: %w", id, err)
	}
	return n > 0, nil
}

// loadImage reads one image record with its tags and digests.
func (s *Store) loadImage(ctx context.Context, q queryer, id string) (*Image, error) {
	img, err := scanImage(s.queryRowPrepared(ctx, q, imageSelect+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", id, err)
	}
	return img, nil
}

// imageSelect reads an image's row with its references, in one query (a
// cached build looks up an image per step; three queries each were a tenth
// of its time).
const imageSelect = `SELECT id, manifest, created, size, config, layers, parent,
	(SELECT group_concat(ref, char(10)) FROM img_tags WHERE image_id = img_images.id),
	(SELECT group_concat(ref, char(10)) FROM img_digests WHERE image_id = img_images.id)
	FROM img_images`

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanImage decodes the row of an imageSelect query.
func scanImage(row rowScanner) (*Image, error) {
	var (
		img            Image
		created        int64
		config, layers []byte
		tags, digests  sql.NullString
	)
	if err := row.Scan(&img.ID, &img.ManifestDigest, &created, &img.Size, &config, &layers, &img.Parent, &tags, &digests); err != nil {
		return nil, err
	}
	img.Created = time.Unix(0, created).UTC()
	var err error
	if err := json.Unmarshal(config, &img.Config); err != nil {
		return nil, fmt.Errorf("decode config: %w", err)
	}
	if img.Ext, err = parseConfigExt(config, true); err != nil {
		return nil, fmt.Errorf("decode config: %w", err)
	}
	if err := json.Unmarshal(layers, &img.Layers); err != nil {
		return nil, fmt.Errorf("decode layers: %w", err)
	}
	img.RepoTags, img.RepoDigests = sortedRefs(tags), sortedRefs(digests)
	return &img, nil
}

// sortedRefs splits a group_concat of references, sorted (nil for none).
func sortedRefs(list sql.NullString) []string {
	if !list.Valid || list.String == "" {
		return nil
	}
	refs := strings.Split(list.String, "\n")
	slices.Sort(refs)
	return refs
}

// allImages loads every image of the store in one query.
func (s *Store) allImages(ctx context.Context, q queryer) ([]*Image, error) {
	rows, err := s.queryPrepared(ctx, q, imageSelect)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	defer rows.Close()
	var out []*Image
	for rows.Next() {
		img, err := scanImage(rows)
		if err != nil {
			return nil, fmt.Errorf("list images: %w", err)
		}
		out = append(out, img)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	return out, nil
}

// allIDs lists every image ID in the store.
func (s *Store) allIDs(ctx context.Context, q queryer) ([]string, error) {
	ids, err := queryStrings(ctx, q, "list images", "SELECT id FROM img_images")
	sort.Strings(ids)
	return ids, err
}

// queryStrings runs query, which selects one text column, and returns its
// values; what names the work in an error.
func queryStrings(ctx context.Context, q queryer, what, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// describeLayers pairs a manifest's layers with the config's diff IDs and history.
func describeLayers(m *v1.Manifest, cfg *v1.ConfigFile) ([]Layer, error) {
	if len(m.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("manifest has %d layers but config has %d diff IDs", len(m.Layers), len(cfg.RootFS.DiffIDs)))
	}
	var createdBy []string
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			createdBy = append(createdBy, h.CreatedBy)
		}
	}
	layers := make([]Layer, len(m.Layers))
	chain := ""
	for i, d := range m.Layers {
		if d.Digest.Algorithm != "sha256" {
			return nil, plainf(errdefs.ErrInvalidArgument, "manifest layer %d has no sha256 digest", i+1)
		}
		if d.Size < 0 {
			return nil, plainf(errdefs.ErrInvalidArgument, "manifest layer %d has a negative size", i+1)
		}
		if cfg.RootFS.DiffIDs[i].Algorithm != "sha256" {
			return nil, plainf(errdefs.ErrInvalidArgument, "image config diff ID %d is not a sha256 digest", i+1)
		}
		diff := cfg.RootFS.DiffIDs[i].String()
		chain = chainID(chain, diff)
		layers[i] = Layer{DiffID: diff, ChainID: chain, Digest: d.Digest.String(), MediaType: string(d.MediaType), Size: d.Size}
		if i < len(createdBy) {
			layers[i].CreatedBy = createdBy[i]
		}
	}
	return layers, nil
}
