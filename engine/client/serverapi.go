package client

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/moby/api/types/container"
	moby "github.com/moby/moby/client"

	"berth/engine"
	"berth/images"
	"berth/images/build"
)

// The methods below are those the server's handlers added to the API: wait
// conditions, archive stat and extract, filtered prunes, stop signals,
// resize, image descriptors and builds from a context tar. Each has its
// Docker Engine API call.

// WaitFor blocks until cond holds (Docker's wait conditions) and returns
// the exit code of the container's last run.
func (c *Client) WaitFor(ctx context.Context, ref string, cond engine.WaitCondition) (int, error) {
	return c.wait(ctx, ref, container.WaitCondition(cond))
}

// StatPath describes a path inside the container without reading it.
func (c *Client) StatPath(ctx context.Context, ref, p string) (engine.PathStat, error) {
	st, err := c.statPath(ctx, ref, p)
	if err != nil {
		return engine.PathStat{}, err
	}
	return engine.PathStat{Name: st.Name, Size: st.Size, Mode: st.Mode, Mtime: st.Mtime, LinkTarget: st.LinkTarget}, nil
}

// statPath is HEAD /containers/{id}/archive. Its 404 has no body to say
// whether the container or the path is missing: the container is looked up
// to tell.
func (c *Client) statPath(ctx context.Context, ref, p string) (container.PathStat, error) {
	res, err := c.api.ContainerStatPath(ctx, ref, moby.ContainerStatPathOptions{Path: p})
	if errdefs.IsNotFound(err) {
		if _, ierr := c.Inspect(ctx, ref); ierr != nil {
			return container.PathStat{}, ierr
		}
		return container.PathStat{}, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("could not find the file %s in container %s", p, ref))
	}
	if err != nil {
		return container.PathStat{}, wire(err, "stat the path in the container")
	}
	return res.Stat, nil
}

// ExtractArchive untars r into the existing directory dir of the container.
func (c *Client) ExtractArchive(ctx context.Context, ref, dir string, r io.Reader, o engine.ExtractOptions) error {
	_, err := c.api.CopyToContainer(ctx, ref, moby.CopyToContainerOptions{DestinationPath: dir, Content: r,
		AllowOverwriteDirWithFile: !o.NoOverwriteDirNonDir, CopyUIDGID: o.CopyUIDGID})
	return wire(err, "copy into the container")
}

// PruneContainers removes the stopped containers that match f.
func (c *Client) PruneContainers(ctx context.Context, f engine.PruneFilters) (engine.PruneReport, error) {
	res, err := c.api.ContainerPrune(ctx, moby.ContainerPruneOptions{Filters: pruneFilters(f)})
	if err != nil {
		return engine.PruneReport{}, wire(err, "prune containers")
	}
	return engine.PruneReport{ContainersDeleted: res.Report.ContainersDeleted, SpaceReclaimed: res.Report.SpaceReclaimed}, nil
}

// Resize sets a running container's terminal size.
func (c *Client) Resize(ctx context.Context, ref string, width, height uint16) error {
	_, err := c.api.ContainerResize(ctx, ref, moby.ContainerResizeOptions{Width: uint(width), Height: uint(height)})
	return wire(err, "resize the container's terminal")
}

// ImageDescriptor returns an image and the descriptor of its manifest.
func (c *Client) ImageDescriptor(ctx context.Context, ref string) (*images.Image, v1.Descriptor, error) {
	res, err := c.api.ImageInspect(ctx, ref)
	if err != nil {
		return nil, v1.Descriptor{}, wire(err, "inspect the image")
	}
	img, err := imageOf(res.InspectResponse)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	d := res.Descriptor
	if d == nil {
		return nil, v1.Descriptor{}, fmt.Errorf("inspect the image: the server sent no descriptor of %s", ref)
	}
	h, err := v1.NewHash(d.Digest.String())
	if err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("inspect the image: descriptor digest: %w", err)
	}
	out := v1.Descriptor{MediaType: types.MediaType(d.MediaType), Size: d.Size, Digest: h, Annotations: d.Annotations}
	if p := d.Platform; p != nil {
		out.Platform = &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
	}
	return img, out, nil
}

// BuildFromTar builds from a context tar whose Dockerfile is dockerfile.
func (c *Client) BuildFromTar(ctx context.Context, r io.Reader, dockerfile string, o build.Options, progress func(build.Event)) (*images.Image, error) {
	if len(o.Secrets) > 0 {
		return nil, notImplemented("a build secret of berth's builder")
	}
	return c.buildTar(ctx, r, dockerfile, o, progress)
}

// PruneNetworks prunes the unused networks that pass Docker's network
// prune filters.
func (c *Client) PruneNetworks(ctx context.Context, filters map[string][]string) ([]string, error) {
	res, err := c.api.NetworkPrune(ctx, moby.NetworkPruneOptions{Filters: filtersOf(filters)})
	if err != nil {
		return nil, wire(err, "prune networks")
	}
	return res.Report.NetworksDeleted, nil
}

// PruneVolumes prunes the unused volumes that pass Docker's volume prune
// filters.
func (c *Client) PruneVolumes(ctx context.Context, filters map[string][]string) ([]string, uint64, error) {
	res, err := c.api.VolumePrune(ctx, moby.VolumePruneOptions{Filters: filtersOf(filters)})
	if err != nil {
		return nil, 0, wire(err, "prune volumes")
	}
	return res.Report.VolumesDeleted, res.Report.SpaceReclaimed, nil
}
