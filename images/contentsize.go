package images

import (
	"archive/tar"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// A layer's size, as `docker images`, `docker history` and the API's Size
// give it, is its content size: what Docker's graph driver measures of the
// unpacked layer (moby's pkg/directory.Size over the overlay2 diff dir): the
// sum of the sizes of its non-directory entries, each inode once (a hard
// link adds nothing), a symlink counting the length of its target, a
// whiteout (a 0/0 character device) nothing. It is computed once per diff ID
// when an image enters the store and kept in img_layers, so that the layers
// an image shares with its parent are not read again; the layer blob's size
// (Layer.Size) stays what manifests, push and blob checks use.

const layerSizeSchema = `
CREATE TABLE IF NOT EXISTS img_layers (
	diff_id TEXT PRIMARY KEY,
	content_size INTEGER NOT NULL
);
`

// migrateContentSize adds the column that tells an image row whose size and
// layers carry content sizes (1) from one recorded before them (0, the
// default a column added to an old table gives its rows).
func migrateContentSize(db *sql.DB) error {
	return addColumn(db, "img_images", "content_sized INTEGER NOT NULL DEFAULT 0")
}

// tarContentSize is the content size of the layer whose uncompressed tar r
// holds, as Docker measures the layer once unpacked: a later entry of the
// same path replaces the earlier one.
func tarContentSize(r io.Reader) (int64, error) {
	type inode struct{ size int64 }
	paths := map[string]*inode{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read layer tar: %w", err)
		}
		name := path.Clean("/" + hdr.Name)
		if strings.HasPrefix(path.Base(name), ".wh.") {
			if path.Base(name) != ".wh..wh..opq" {
				// Unpacked, a whiteout is a character device of size 0.
				paths[path.Join(path.Dir(name), strings.TrimPrefix(path.Base(name), ".wh."))] = &inode{}
			}
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			paths[name] = &inode{size: hdr.Size}
		case tar.TypeSymlink:
			paths[name] = &inode{size: int64(len(hdr.Linkname))}
		case tar.TypeLink:
			target := path.Clean("/" + hdr.Linkname)
			if in, ok := paths[target]; ok {
				paths[name] = in
			} else {
				paths[name] = &inode{}
			}
		case tar.TypeDir:
			delete(paths, name)
		default:
			paths[name] = &inode{}
		}
	}
	seen := map[*inode]bool{}
	var total int64
	for _, in := range paths {
		if !seen[in] {
			seen[in] = true
			total += in.size
		}
	}
	return total, nil
}

// dirContentSize is the content size of an unpacked layer dir, as moby's
// pkg/directory.Size measures it.
func dirContentSize(ctx context.Context, dir string) (int64, error) {
	seen := map[uint64]bool{}
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if fi.Size() == 0 || !ok || seen[st.Ino] {
			return nil
		}
		seen[st.Ino] = true
		total += fi.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measure layer %s: %w", dir, err)
	}
	return total, nil
}

// knownContentSize looks up the recorded content size of a diff ID.
func (s *Store) knownContentSize(ctx context.Context, diffID string) (int64, bool, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT content_size FROM img_layers WHERE diff_id = ?", diffID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up size of layer %s: %w", diffID, err)
	}
	return n, true, nil
}

// sizeLayers sets the content size of each layer of an image about to be
// recorded: recorded before, measured from the snapshot a lazy layer adopts,
// or read from the blob file the commit brings or the store holds.
func (s *Store) sizeLayers(ctx context.Context, p *preparedImage) error {
	for i := range p.layers {
		l := &p.layers[i]
		n, ok, err := s.knownContentSize(ctx, l.DiffID)
		if err != nil {
			return err
		}
		if !ok {
			n, err = s.measureLayer(ctx, l, p.blobs[l.Digest], p.adopt)
			if err != nil {
				return err
			}
		}
		l.ContentSize = n
	}
	return nil
}

// measureLayer computes one layer's content size from wherever it is.
func (s *Store) measureLayer(ctx context.Context, l *Layer, blobFile string, a *adoption) (int64, error) {
	if a != nil && a.key == hexOf(l.ChainID) {
		return dirContentSize(ctx, filepath.Join(a.dir, "diff"))
	}
	if dir, ok := s.lazyDir(l); ok && blobFile == "" {
		return dirContentSize(ctx, dir)
	}
	var n int64
	count := func(r io.Reader) (err error) { n, err = tarContentSize(r); return err }
	var err error
	if blobFile != "" {
		err = readLayer(ctx, blobFile, l, count)
	} else {
		err = s.ReadLayer(ctx, l, count)
	}
	if err != nil {
		return 0, fmt.Errorf("measure layer %s: %w", l.DiffID, err)
	}
	return n, nil
}

// recordContentSizes keeps the content sizes of an image's layers by diff
// ID, within the transaction that records the image.
func recordContentSizes(ctx context.Context, tx *sql.Tx, layers []Layer) error {
	for _, l := range layers {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO img_layers (diff_id, content_size) VALUES (?, ?)", l.DiffID, l.ContentSize); err != nil {
			return fmt.Errorf("record size of layer %s: %w", l.DiffID, err)
		}
	}
	return nil
}

// contentSizeOf is an image's size: the sum of its layers' content sizes.
func contentSizeOf(layers []Layer) int64 {
	var n int64
	for _, l := range layers {
		n += l.ContentSize
	}
	return n
}

// sizeLegacyImages measures the layers of the images recorded before
// content sizes were kept (a data root of an older berth) and stores their
// sizes, once, when the store opens. An image whose layers cannot be read
// (a blob lost) is left for the next open; its row still says 0 in
// content_sized, which `berth system check` reports through the missing blob.
func (s *Store) sizeLegacyImages(ctx context.Context) error {
	ids, err := s.legacySizedIDs(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	for _, id := range ids {
		img, err := s.loadImage(ctx, s.db, id)
		if err != nil {
			continue // removed meanwhile
		}
		p := &preparedImage{layers: img.Layers}
		if err := s.sizeLayers(ctx, p); err != nil {
			continue
		}
		if err := s.storeLegacySizes(ctx, id, p.layers); err != nil {
			return err
		}
	}
	return nil
}

// legacySizedIDs lists the images whose rows lack content sizes.
func (s *Store) legacySizedIDs(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, "list images to measure", "SELECT id FROM img_images WHERE content_sized = 0")
}

// storeLegacySizes writes the measured layers into an old image row.
func (s *Store) storeLegacySizes(ctx context.Context, id string, layers []Layer) error {
	b, err := json.Marshal(layers)
	if err != nil {
		return fmt.Errorf("encode layers: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record sizes of image %s: %w", id, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE img_images SET layers = ?, size = ?, content_sized = 1 WHERE id = ? AND content_sized = 0",
		b, contentSizeOf(layers), id); err != nil {
		return fmt.Errorf("record sizes of image %s: %w", id, err)
	}
	if err := recordContentSizes(ctx, tx, layers); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record sizes of image %s: %w", id, err)
	}
	return nil
}
