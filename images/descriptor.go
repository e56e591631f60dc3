package images

import (
	"encoding/json"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ManifestDescriptor describes img's stored manifest: its media type, digest
// and size, and the platform its config names.
func (s *Store) ManifestDescriptor(img *Image) (v1.Descriptor, error) {
	var d v1.Descriptor
	h, err := v1.NewHash(img.ManifestDigest)
	if err != nil {
		return d, fmt.Errorf("image %s manifest: %w", img.ID, err)
	}
	p, err := s.blobPath(img.ManifestDigest)
	if err != nil {
		return d, err
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return d, fmt.Errorf("image %s manifest: %w", img.ID, err)
	}
	var m struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return d, fmt.Errorf("image %s manifest: %w", img.ID, err)
	}
	if m.MediaType == "" {
		m.MediaType = types.OCIManifestSchema1
	}
	d = v1.Descriptor{MediaType: m.MediaType, Digest: h, Size: int64(len(raw))}
	if img.Config.OS != "" {
		d.Platform = &v1.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant, OSVersion: img.Config.OSVersion}
	}
	return d, nil
}
