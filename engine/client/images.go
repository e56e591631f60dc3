package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	moby "github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/images"
)

// ListImages lists images; the list's entries are inspected for their
// configs, as the in-process engine returns them whole.
func (c *Client) ListImages(ctx context.Context, o images.ListOptions) ([]images.Image, error) {
	res, err := c.api.ImageList(ctx, moby.ImageListOptions{All: o.All, Filters: filtersOf(o.Filters)})
	if err != nil {
		return nil, wire(err, "list images")
	}
	out := make([]images.Image, 0, len(res.Items))
	for _, s := range res.Items {
		img, err := c.InspectImage(ctx, s.ID)
		if err != nil {
			continue // removed while listing
		}
		img.Parent = s.ParentID
		out = append(out, *img)
	}
	return out, nil
}

// InspectImage returns an image by ID, ID prefix or reference.
func (c *Client) InspectImage(ctx context.Context, ref string) (*images.Image, error) {
	res, err := c.api.ImageInspect(ctx, ref)
	if err != nil {
		return nil, wire(err, "inspect the image")
	}
	return imageOf(res.InspectResponse)
}

// imageOf maps an image inspect onto the engine's Image: the config's
// fields carry the same names in both.
func imageOf(in image.InspectResponse) (*images.Image, error) {
	img := &images.Image{ID: in.ID, RepoTags: in.RepoTags, RepoDigests: in.RepoDigests, Size: in.Size}
	img.Created, _ = time.Parse(time.RFC3339Nano, in.Created)
	img.Config = v1.ConfigFile{Architecture: in.Architecture, OS: in.Os, Variant: in.Variant,
		Author: in.Author, Created: v1.Time{Time: img.Created}}
	if in.Config != nil {
		if err := convert(&img.Config.Config, in.Config); err != nil {
			return nil, err
		}
		if in.Config.Healthcheck != nil { // the field v1.Config lacks
			img.Ext.HealthStartInterval = in.Config.Healthcheck.StartInterval
		}
	}
	img.Config.RootFS.Type = in.RootFS.Type
	for _, l := range in.RootFS.Layers {
		h, err := v1.NewHash(l)
		if err != nil {
			continue
		}
		img.Config.RootFS.DiffIDs = append(img.Config.RootFS.DiffIDs, h)
		img.Layers = append(img.Layers, images.Layer{DiffID: l})
	}
	if in.Descriptor != nil {
		img.ManifestDigest = in.Descriptor.Digest.String()
	}
	return img, nil
}

// ImageHistory lists the steps that made an image.
func (c *Client) ImageHistory(ctx context.Context, ref string) ([]images.HistoryEntry, error) {
	res, err := c.api.ImageHistory(ctx, ref)
	if err != nil {
		return nil, wire(err, "read the image's history")
	}
	out := make([]images.HistoryEntry, 0, len(res.Items))
	for _, h := range res.Items {
		out = append(out, images.HistoryEntry{ID: h.ID, Created: time.Unix(h.Created, 0), CreatedBy: h.CreatedBy,
			Comment: h.Comment, Size: h.Size, Tags: h.Tags, EmptyLayer: h.Size == 0})
	}
	return out, nil
}

// ImageUsers returns the IDs of the containers made from imageID.
func (c *Client) ImageUsers(ctx context.Context, imageID string) ([]string, error) {
	res, err := c.api.ContainerList(ctx, moby.ContainerListOptions{All: true})
	if err != nil {
		return nil, wire(err, "list containers")
	}
	var out []string
	for _, s := range res.Items {
		if s.ImageID == imageID {
			out = append(out, s.ID)
		}
	}
	return out, nil
}

// PullImage pulls an image through the server, passing on its progress.
func (c *Client) PullImage(ctx context.Context, ref string, o images.PullOptions) (*images.Image, error) {
	var opts moby.ImagePullOptions
	if o.Platform != "" {
		p, err := v1.ParsePlatform(o.Platform)
		if err != nil {
			return nil, invalidArgument("platform " + o.Platform + ": " + err.Error())
		}
		opts.Platforms = append(opts.Platforms, ociPlatform(p))
	}
	res, err := c.api.ImagePull(ctx, ref, opts)
	if err != nil {
		return nil, wire(err, "pull "+ref)
	}
	defer res.Close()
	if _, err := progress(ctx, res.JSONMessages(ctx), o.Progress); err != nil {
		return nil, err
	}
	return c.InspectImage(ctx, ref)
}

// PushImage pushes an image through the server; it returns the manifest's
// digest and size from the stream's last report.
func (c *Client) PushImage(ctx context.Context, ref string, o images.PushOptions) (string, int64, error) {
	res, err := c.api.ImagePush(ctx, ref, moby.ImagePushOptions{RegistryAuth: "e30="})
	if err != nil {
		return "", 0, wire(err, "push "+ref)
	}
	defer res.Close()
	aux, err := progress(ctx, res.JSONMessages(ctx), o.Progress)
	if err != nil {
		return "", 0, err
	}
	var result struct {
		Digest string
		Size   int64
	}
	if aux != nil {
		_ = json.Unmarshal(*aux, &result)
	}
	return result.Digest, result.Size, nil
}

// progress passes a JSON message stream's reports on to to (when not nil),
// ends at the stream's error, and returns its last aux message.
func progress(ctx context.Context, msgs iter.Seq2[jsonstream.Message, error], to chan<- images.Progress) (*json.RawMessage, error) {
	var aux *json.RawMessage
	for m, err := range msgs {
		if err != nil {
			return nil, wire(err, "read the progress")
		}
		if m.Error != nil {
			return nil, errors.New(m.Error.Message)
		}
		if m.Aux != nil {
			aux = m.Aux
		}
		if to == nil || m.Status == "" {
			continue
		}
		p := images.Progress{ID: m.ID, Status: m.Status}
		if m.Progress != nil {
			p.Current, p.Total = m.Progress.Current, m.Progress.Total
		}
		select {
		case to <- p:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return aux, nil
}

// TagImage gives the image src the tag target.
func (c *Client) TagImage(ctx context.Context, src, target string) error {
	_, err := c.api.ImageTag(ctx, moby.ImageTagOptions{Source: src, Target: target})
	return wire(err, "tag the image")
}

// RemoveImage untags and deletes an image.
func (c *Client) RemoveImage(ctx context.Context, ref string, force bool) ([]images.DeleteResponse, error) {
	res, err := c.api.ImageRemove(ctx, ref, moby.ImageRemoveOptions{Force: force, PruneChildren: true})
	if err != nil {
		return nil, wire(err, "remove the image")
	}
	return deleted(res.Items), nil
}

func deleted(items []image.DeleteResponse) []images.DeleteResponse {
	out := make([]images.DeleteResponse, 0, len(items))
	for _, d := range items {
		out = append(out, images.DeleteResponse{Untagged: d.Untagged, Deleted: d.Deleted})
	}
	return out
}

// PruneImages removes dangling images (all: every unused one).
func (c *Client) PruneImages(ctx context.Context, all bool) ([]images.DeleteResponse, int64, error) {
	f := moby.Filters{}
	if all {
		f.Add("dangling", "false")
	}
	res, err := c.api.ImagePrune(ctx, moby.ImagePruneOptions{Filters: f})
	if err != nil {
		return nil, 0, wire(err, "prune images")
	}
	return deleted(res.Report.ImagesDeleted), int64(res.Report.SpaceReclaimed), nil
}

// SaveImages writes a docker save tarball of refs to w.
func (c *Client) SaveImages(ctx context.Context, w io.Writer, refs []string) error {
	rc, err := c.api.ImageSave(ctx, refs)
	if err != nil {
		return wire(err, "save images")
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return wire(err, "save images")
	}
	return nil
}

// LoadImages loads a docker save or OCI tarball; it returns the names the
// server reported loaded.
func (c *Client) LoadImages(ctx context.Context, r io.Reader, report func(string)) ([]string, error) {
	res, err := c.api.ImageLoad(ctx, r)
	if err != nil {
		return nil, wire(err, "load images")
	}
	defer res.Close()
	var names []string
	for m, err := range messages(res) {
		if err != nil {
			return nil, wire(err, "read the load's report")
		}
		if m.Error != nil {
			return nil, errors.New(m.Error.Message)
		}
		line := strings.TrimSpace(m.Stream)
		if line == "" {
			continue
		}
		if report != nil {
			report(line)
		}
		for _, prefix := range []string{"Loaded image: ", "Loaded image ID: "} {
			if name, ok := strings.CutPrefix(line, prefix); ok {
				names = append(names, name)
			}
		}
	}
	return names, nil
}

// ImportImage makes an image of a root filesystem tarball.
func (c *Client) ImportImage(ctx context.Context, r io.Reader, ref string, changes ...string) (*images.Image, error) {
	return c.ImportImageWith(ctx, r, images.ImportOptions{Ref: ref, Changes: changes})
}

// ImportImageURL imports the tar at an http(s) URL, which the server fetches.
func (c *Client) ImportImageURL(ctx context.Context, src, ref string, changes ...string) (*images.Image, error) {
	return c.ImportImageURLWith(ctx, src, images.ImportOptions{Ref: ref, Changes: changes})
}

// ImportImageWith is ImportImage with a commit message.
func (c *Client) ImportImageWith(ctx context.Context, r io.Reader, o images.ImportOptions) (*images.Image, error) {
	return c.importImage(ctx, moby.ImageImportSource{Source: r, SourceName: "-"}, o)
}

// ImportImageURLWith is ImportImageURL with a commit message.
func (c *Client) ImportImageURLWith(ctx context.Context, src string, o images.ImportOptions) (*images.Image, error) {
	return c.importImage(ctx, moby.ImageImportSource{SourceName: src}, o)
}

func (c *Client) importImage(ctx context.Context, source moby.ImageImportSource, o images.ImportOptions) (*images.Image, error) {
	ref := o.Ref
	res, err := c.api.ImageImport(ctx, source, ref, moby.ImageImportOptions{Changes: o.Changes, Message: o.Message})
	if err != nil {
		return nil, wire(err, "import the image")
	}
	defer res.Close()
	var id string
	for m, err := range messages(res) {
		if err != nil {
			return nil, wire(err, "read the import's report")
		}
		if m.Error != nil {
			return nil, errors.New(m.Error.Message)
		}
		if s := strings.TrimSpace(m.Status); strings.HasPrefix(s, "sha256:") {
			id = s
		}
	}
	if id == "" {
		return nil, errors.New("import the image: the server reported no image ID")
	}
	return c.InspectImage(ctx, id)
}

// BootstrapImage builds berth's own base images on the engine's host; the
// Docker Engine API has no such call.
func (c *Client) BootstrapImage(ctx context.Context, name string, _ func(string)) (*images.Image, error) {
	return nil, notImplemented("bootstrapping an image")
}

// messages reads a stream of JSON messages (progress, load and build reports).
func messages(r io.Reader) iter.Seq2[jsonstream.Message, error] {
	return func(yield func(jsonstream.Message, error) bool) {
		dec := json.NewDecoder(r)
		for {
			var m jsonstream.Message
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}

// ociPlatform is a go-containerregistry platform in the OCI type.
func ociPlatform(p *v1.Platform) ocispec.Platform {
	return ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}

// filtersOf is a filter map in moby's type.
func filtersOf(m map[string][]string) moby.Filters {
	f := moby.Filters{}
	for k, vs := range m {
		f.Add(k, vs...)
	}
	return f
}
