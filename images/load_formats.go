package images

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/go-archive/compression"
)

// readOCILayout describes the images of an extracted OCI image layout (as Docker
// 25+ and OCI tools write it), taking tags from index annotations and from
// manifest.json when present.
func readOCILayout(dir string, entries []dockerManifestEntry) ([]newImage, error) {
	b, err := readMeta(dir, "index.json")
	if err != nil {
		return nil, err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(b))
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("index.json: %v", err))
	}
	byManifest := map[string]*newImage{}
	var order []string
	for _, desc := range idx.Manifests {
		d, err := pickManifest(dir, desc, 0)
		if err != nil {
			return nil, err
		}
		n, ok := byManifest[d.Digest.String()]
		if !ok {
			if n, err = readOCIImage(dir, d, entries); err != nil {
				return nil, err
			}
			byManifest[d.Digest.String()] = n
			order = append(order, d.Digest.String())
		}
		if t := annotatedTag(desc.Annotations); t != "" && !contains(n.tags, t) {
			n.tags = append(n.tags, t)
		}
	}
	if len(order) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("index.json lists no images")
	}
	out := make([]newImage, 0, len(order))
	for _, d := range order {
		out = append(out, *byManifest[d])
	}
	return out, nil
}

// pickManifest follows nested indexes down to one image manifest, choosing the
// host's platform (linux/GOARCH) where an index offers several.
func pickManifest(dir string, desc v1.Descriptor, depth int) (v1.Descriptor, error) {
	if !desc.MediaType.IsIndex() {
		if !desc.MediaType.IsImage() {
			return desc, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("index entry %s: unsupported media type %q", desc.Digest, desc.MediaType))
		}
		return desc, nil
	}
	if depth > 4 {
		return desc, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("index %s: nested too deep", desc.Digest))
	}
	b, err := readBlob(dir, desc.Digest.String())
	if err != nil {
		return desc, err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(b))
	if err != nil {
		return desc, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("index %s: %v", desc.Digest, err))
	}
	want := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	for _, m := range idx.Manifests {
		if m.Platform == nil || m.Platform.Satisfies(want) {
			return pickManifest(dir, m, depth+1)
		}
	}
	return desc, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("index %s has no image for %s/%s", desc.Digest, want.OS, want.Architecture))
}

// readBlob reads a small blob of the layout and checks its digest.
func readBlob(dir, digest string) ([]byte, error) {
	if !fullIDRe().MatchString(digest) || !strings.HasPrefix(digest, "sha256:") {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unsupported digest %q", digest))
	}
	b, err := readMeta(dir, blobName(digest))
	if err != nil {
		return nil, err
	}
	if got := digestOf(b); got != digest {
		return nil, errdefs.ErrDataLoss.WithMessage(fmt.Sprintf("blob %s has digest %s", digest, got))
	}
	return b, nil
}

func readOCIImage(dir string, d v1.Descriptor, entries []dockerManifestEntry) (*newImage, error) {
	mb, err := readBlob(dir, d.Digest.String())
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(mb))
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("manifest %s: %v", d.Digest, err))
	}
	cb, err := readBlob(dir, m.Config.Digest.String())
	if err != nil {
		return nil, err
	}
	n := &newImage{manifest: mb, config: cb, blobs: map[string]string{}}
	for _, l := range m.Layers {
		p, err := layoutLayer(dir, l.Digest.String())
		if err != nil {
			return nil, err
		}
		n.blobs[l.Digest.String()] = p
	}
	for _, e := range entries {
		if e.Config == blobName(m.Config.Digest.String()) {
			tags, err := tagsFrom(e.RepoTags)
			if err != nil {
				return nil, err
			}
			n.tags = append(n.tags, tags...)
		}
	}
	return n, nil
}

// layoutLayer finds a layout layer blob; checkLayer verifies its content later.
func layoutLayer(dir, digest string) (string, error) {
	if !fullIDRe().MatchString(digest) || !strings.HasPrefix(digest, "sha256:") {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unsupported layer digest %q", digest))
	}
	p := filepath.Join(dir, filepath.FromSlash(blobName(digest)))
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return "", plainf(errdefs.ErrInvalidArgument, "layer %s is not in the archive", digest)
	}
	return p, nil
}

// annotatedTag reads the tag an index entry carries, as containerd and Docker write it.
func annotatedTag(a map[string]string) string {
	for _, k := range []string{"io.containerd.image.name", "org.opencontainers.image.ref.name"} {
		v := a[k]
		if v == "" || !strings.ContainsAny(v, ":/") {
			continue // a bare OCI ref.name ("latest") names no repository
		}
		if t, err := tagRef(v); err == nil {
			return t
		}
	}
	return ""
}

// readLegacy describes the images of a pre-25 `docker save` tarball: manifest.json
// pointing at <id>.json configs and <id>/layer.tar layers.
func readLegacy(dir string, entries []dockerManifestEntry) ([]newImage, error) {
	var out []newImage
	for i, e := range entries {
		cb, err := readMeta(dir, e.Config)
		if err != nil {
			return nil, fmt.Errorf("manifest.json entry %d: %w", i+1, err)
		}
		m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Layers: []v1.Descriptor{}}
		ch, _ := v1.NewHash(digestOf(cb))
		m.Config = v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(cb)), Digest: ch}
		n := newImage{config: cb, blobs: map[string]string{}}
		for _, lp := range e.Layers {
			d, err := legacyLayer(dir, lp)
			if err != nil {
				return nil, fmt.Errorf("manifest.json entry %d: %w", i+1, err)
			}
			m.Layers = append(m.Layers, d)
			n.blobs[d.Digest.String()] = filepath.Join(dir, filepath.FromSlash(filepath.Clean(lp)))
		}
		if n.manifest, err = json.Marshal(m); err != nil {
			return nil, fmt.Errorf("encode manifest: %w", err)
		}
		if n.tags, err = tagsFrom(e.RepoTags); err != nil {
			return nil, fmt.Errorf("manifest.json entry %d: %w", i+1, err)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("manifest.json lists no images")
	}
	return out, nil
}

func legacyLayer(dir, lp string) (v1.Descriptor, error) {
	clean := filepath.Clean(filepath.FromSlash(lp))
	if !filepath.IsLocal(clean) {
		return v1.Descriptor{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("layer path %q leaves the archive", lp))
	}
	p := filepath.Join(dir, clean)
	digest, size, err := hashFile(p)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("layer %s: %w", lp, err)
	}
	c, err := sniffLayer(p)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("layer %s: %w", lp, err)
	}
	mt := types.OCIUncompressedLayer
	switch c {
	case compression.Gzip:
		mt = types.OCILayer
	case compression.Zstd:
		mt = types.OCILayerZStd
	case compression.None:
	default:
		return v1.Descriptor{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("layer %s: unsupported compression %s", lp, c.Extension()))
	}
	h, _ := v1.NewHash(digest)
	return v1.Descriptor{MediaType: mt, Size: size, Digest: h}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
