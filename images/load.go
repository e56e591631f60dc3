package images

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/containerd/errdefs"
	"github.com/moby/go-archive/compression"
)

// maxMetaFile bounds the JSON files (manifests, configs, index) a tarball may hold.
const maxMetaFile = 8 << 20

// Load reads a `docker save` tarball (Docker before 25 and after) or an OCI image
// layout tarball (optionally compressed) and stores its images. It returns the
// loaded tags, or image IDs for untagged images. Every blob's digest and every
// layer's tar entries and diff ID are checked before anything is stored: a
// damaged, truncated or unsafe archive fails with an error naming what was
// wrong and leaves the store as it was. Progress gets one line per image.
func (s *Store) Load(ctx context.Context, r io.Reader, progress func(string)) ([]string, error) {
	if progress == nil {
		progress = func(string) {}
	}
	tmp, done, err := s.tmpDir("load-")
	if err != nil {
		return nil, err
	}
	defer done()
	if err := extractArchive(ctx, r, tmp); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	imgs, err := readArchive(tmp)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	ps, err := checkArchiveImages(ctx, imgs)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	stored, err := s.commitAll(ctx, ps)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	var loaded []string
	for i, img := range stored {
		s.emitLoaded(img, ps[i].tags)
		if len(ps[i].tags) == 0 {
			loaded = append(loaded, img.ID)
			progress("Loaded image ID: " + img.ID)
		}
		for _, t := range ps[i].tags {
			loaded = append(loaded, t)
			progress("Loaded image: " + t)
		}
	}
	return loaded, nil
}

// checkArchiveImages parses every image of an archive and reads each of its
// layers through the tar checker, verifying blob digests, sizes and diff IDs.
func checkArchiveImages(ctx context.Context, imgs []newImage) ([]*preparedImage, error) {
	ps := make([]*preparedImage, 0, len(imgs))
	checked := map[string]bool{} // digest+diff ID pairs already read
	for _, n := range imgs {
		p, err := prepareNew(n)
		if err != nil {
			return nil, err
		}
		for i := range p.layers {
			l := &p.layers[i]
			if checked[l.Digest+l.DiffID] {
				continue
			}
			path, ok := n.blobs[l.Digest]
			if !ok {
				return nil, plainf(errdefs.ErrInvalidArgument, "layer %s is not in the archive", l.Digest)
			}
			if err := checkLayer(ctx, path, l); err != nil {
				return nil, err
			}
			checked[l.Digest+l.DiffID] = true
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// extractArchive unpacks a (possibly compressed) tarball of regular files and
// directories into dir, refusing anything else.
func extractArchive(ctx context.Context, r io.Reader, dir string) error {
	rd, err := compression.DecompressStream(&ctxReader{ctx: ctx, r: r})
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("read archive: %v", err))
	}
	defer rd.Close()
	tr := tar.NewReader(rd)
	n := 0
	for ; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && n == 0 {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("not a tar archive (%v)", err))
		}
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("read archive entry %d: %v", n+1, err))
		}
		if err := extractEntry(tr, hdr, dir); err != nil {
			return err
		}
	}
	if n == 0 {
		return errdefs.ErrInvalidArgument.WithMessage("not a tar archive (no entries)")
	}
	return nil
}

func extractEntry(tr *tar.Reader, hdr *tar.Header, dir string) error {
	name := path.Clean(hdr.Name)
	if !filepath.IsLocal(name) {
		return fmt.Errorf("archive entry %q: path leaves the archive: %w", hdr.Name, ErrUnsafeLayer)
	}
	dst := filepath.Join(dir, filepath.FromSlash(name))
	switch hdr.Typeflag {
	case tar.TypeDir:
		return os.MkdirAll(dst, 0o755)
	case tar.TypeReg:
	case tar.TypeSymlink, tar.TypeLink, tar.TypeXGlobalHeader:
		return nil // not part of any format read here
	default:
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("archive entry %q: unexpected type %q", hdr.Name, hdr.Typeflag))
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
	}
	defer f.Close()
	got, err := io.Copy(f, tr)
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path == dst { // writing failed (a full disk), not the archive
		return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
	}
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("archive entry %q: %v", hdr.Name, err))
	}
	if got != hdr.Size {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("archive entry %q: %d bytes, header says %d", hdr.Name, got, hdr.Size))
	}
	return f.Close()
}

// readArchive recognises the extracted archive's format and describes its images.
func readArchive(dir string) ([]newImage, error) {
	entries, err := readDockerManifest(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		return readOCILayout(dir, entries)
	}
	if entries == nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("neither manifest.json nor index.json found: not an image archive")
	}
	return readLegacy(dir, entries)
}

func readDockerManifest(dir string) ([]dockerManifestEntry, error) {
	b, err := readMeta(dir, "manifest.json")
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var entries []dockerManifestEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("manifest.json: %v", err))
	}
	if entries == nil {
		entries = []dockerManifestEntry{}
	}
	return entries, nil
}

// readMeta reads a small JSON file of the archive by its archive path.
func readMeta(dir, name string) ([]byte, error) {
	clean := path.Clean(name)
	if !filepath.IsLocal(clean) {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("path %q leaves the archive", name))
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(clean)))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMetaFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxMetaFile {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s is larger than %d bytes", name, maxMetaFile))
	}
	return b, nil
}

// hashFile returns the sha256 digest and size of a file.
func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, nil
}

// sniffLayer opens a layer file and reports whether it is a tar, gzip or zstd stream.
func sniffLayer(p string) (compression.Compression, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	return compression.Detect(bytes.Clone(head[:n])), nil
}

func tagsFrom(list []string) ([]string, error) {
	var out []string
	for _, t := range list {
		n, err := tagRef(t)
		if err != nil {
			return nil, fmt.Errorf("RepoTags %q: %w", t, err)
		}
		out = append(out, n)
	}
	return out, nil
}
