package images

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// dockerManifestEntry is one entry of a docker save tarball's manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// Save writes the images refs name as Docker 25+ `docker save` does: an OCI image
// layout (oci-layout, index.json, blobs/sha256/...) plus manifest.json and
// repositories, which both `docker load` and OCI tools accept. A tag reference
// saves that tag; an ID saves the image untagged. Each blob is hashed as it is
// written: a corrupt one fails the save, and as the metadata files come last,
// the partial tarball does not load.
func (s *Store) Save(ctx context.Context, w io.Writer, refs []string) error {
	if len(refs) == 0 {
		return errInvalid.WithMessage("save: no images given")
	}
	var (
		entries []dockerManifestEntry
		index   = v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}
		blobs   []string
		seen    = map[string]bool{}
		repos   = map[string]map[string]string{}
	)
	addBlob := func(d string) {
		if !seen[d] {
			seen[d] = true
			blobs = append(blobs, d)
		}
	}
	for _, ref := range refs {
		img, err := s.resolve(ctx, s.db, ref)
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		if err := s.ensureBlobs(ctx, img); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		desc, err := s.manifestDescriptor(img)
		if err != nil {
			return err
		}
		tag, _ := s.namedRef(ctx, ref, img.ID)
		e := dockerManifestEntry{Config: blobName(img.ID)}
		if r, err := ParseReference(tag); err == nil && r.Tag != "" {
			e.RepoTags = []string{r.TagRef()}
			desc.Annotations = refAnnotations(r.TagRef())
			if repos[r.Repo] == nil {
				repos[r.Repo] = map[string]string{}
			}
			repos[r.Repo][r.Tag] = hexOf(img.ID)
		}
		addBlob(img.ManifestDigest)
		addBlob(img.ID)
		for _, l := range img.Layers {
			e.Layers = append(e.Layers, blobName(l.Digest))
			addBlob(l.Digest)
		}
		entries = append(entries, e)
		index.Manifests = append(index.Manifests, desc)
	}
	if err := s.writeSaveTar(ctx, w, entries, index, repos, blobs); err != nil {
		return err
	}
	s.emitSaved(ctx, refs)
	return nil
}

func blobName(digest string) string { return "blobs/sha256/" + hexOf(digest) }

func (s *Store) writeSaveTar(ctx context.Context, w io.Writer, entries []dockerManifestEntry, index v1.IndexManifest, repos map[string]map[string]string, blobs []string) error {
	tw := tar.NewWriter(w)
	mtime := time.Unix(0, 0)
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime}); err != nil {
			return fmt.Errorf("save: %w", err)
		}
	}
	for _, d := range blobs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		if err := s.copyBlobToTar(tw, d, mtime); err != nil {
			return err
		}
	}
	files := []struct {
		name string
		v    any
	}{{"index.json", index}, {"manifest.json", entries}, {"oci-layout", map[string]string{"imageLayoutVersion": "1.0.0"}}}
	if len(repos) > 0 {
		files = append(files, struct {
			name string
			v    any
		}{"repositories", repos})
	}
	for _, f := range files {
		b, err := json.Marshal(f.v)
		if err != nil {
			return fmt.Errorf("save: encode %s: %w", f.name, err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(b)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		if _, err := tw.Write(b); err != nil {
			return fmt.Errorf("save: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

func (s *Store) copyBlobToTar(tw *tar.Writer, digest string, mtime time.Time) error {
	p, err := s.blobPath(digest)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("save: blob %s: %w", digest, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("save: blob %s: %w", digest, err)
	}
	hdr := &tar.Header{Name: path.Join("blobs/sha256", hexOf(digest)), Mode: 0o644, Size: fi.Size(), ModTime: mtime, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	hr := newHashReader(f)
	if _, err := io.Copy(tw, hr); err != nil {
		return fmt.Errorf("save: blob %s: %w", digest, err)
	}
	if got := hr.digest(); got != digest || hr.n != fi.Size() {
		return fmt.Errorf("save: %w", corrupt(digest, got, hr.n, fi.Size()))
	}
	return nil
}
