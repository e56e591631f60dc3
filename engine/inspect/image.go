package inspect

import (
	"encoding/json"
	"fmt"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/image"

	"berth/images"
)

// Image is an image as `docker inspect` shows it: moby's
// image.InspectResponse, and the Parent that berth's builder records (which
// Docker's API showed until 1.52, and still does when set).
type Image struct {
	image.InspectResponse
	Parent string `json:",omitempty"`
}

// ImageOf converts an image of the store into Docker's image inspect shape.
func ImageOf(img *images.Image) (Image, error) {
	cf := img.Config
	out := Image{Parent: img.Parent}
	out.InspectResponse = image.InspectResponse{
		ID: img.ID, RepoTags: nonNil(img.RepoTags), RepoDigests: nonNil(img.RepoDigests),
		Created: img.Created.UTC().Format(time.RFC3339Nano), Author: cf.Author,
		Architecture: cf.Architecture, Variant: cf.Variant, Os: cf.OS, OsVersion: cf.OSVersion, Size: img.Size,
		RootFS: image.RootFS{Type: cf.RootFS.Type},
	}
	if n := len(cf.History); n > 0 { // commit -m and import -m: the newest entry's
		out.Comment = cf.History[n-1].Comment
	}
	for _, d := range cf.RootFS.DiffIDs {
		out.RootFS.Layers = append(out.RootFS.Layers, d.String())
	}
	// The image config's "config" object is Docker's image config: carry it
	// over field for field through its JSON form.
	raw, err := json.Marshal(cf.Config)
	if err != nil {
		return out, fmt.Errorf("image %s config: %w", img.ID, err)
	}
	out.Config = &dockerspec.DockerOCIImageConfig{}
	if err := json.Unmarshal(raw, out.Config); err != nil {
		return out, fmt.Errorf("image %s config: %w", img.ID, err)
	}
	if hc := out.Config.Healthcheck; hc != nil { // the field v1.Config lacks
		hc.StartInterval = img.Ext.HealthStartInterval
	}
	return out, nil
}
