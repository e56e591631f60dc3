package engine

import (
	"context"
	"path/filepath"

	"berth/images"
)

// DiskUsage is what system df reports, per kind of object.
type DiskUsage struct {
	// LayersSize is the size of every image layer blob, each counted once
	// however many images share it.
	LayersSize int64
	Images     []ImageUsage
	Containers []ContainerUsage
	Volumes    []VolumeUsage
	BuildCache []images.CacheEntry
}

// ImageUsage is one image's size and the containers using it.
type ImageUsage struct {
	ID, Repository string
	Size           int64
	// SharedSize is the part of Size in layers other images have too.
	SharedSize int64
	Containers int
}

// ContainerUsage is the size of a container's own writes.
type ContainerUsage struct {
	ID, Name, Image, Status string
	Running                 bool
	Size                    int64
}

// VolumeUsage is one volume's size and how many containers use it.
type VolumeUsage struct {
	Name  string
	Size  int64
	Links int
}

// DiskUsage measures images, containers' writes and volumes. Volume sizes
// come from the volume store's cache, so calling it often stays cheap; the
// TUI calls it in the background.
func (e *Engine) DiskUsage(ctx context.Context) (*DiskUsage, error) {
	du := &DiskUsage{}
	cs, err := e.List(ctx, true)
	if err != nil {
		return nil, err
	}
	users := map[string]int{}
	for _, c := range cs {
		users[c.Image]++
		du.Containers = append(du.Containers, ContainerUsage{ID: c.ID, Name: c.Name[1:], Image: c.ImageRef,
			Status: c.State.Status, Running: c.State.Running,
			Size: int64(dirSize(filepath.Join(e.containerDir(c.ID), "fs/upper")))})
	}
	imgs, err := e.images.List(ctx, images.ListOptions{All: true})
	if err != nil {
		return nil, err
	}
	holders := layerHolders(imgs)
	for _, u := range holders {
		du.LayersSize += u.size
	}
	for _, img := range imgs {
		repo := "<none>"
		if len(img.RepoTags) > 0 {
			repo = img.RepoTags[0]
		}
		var shared int64
		for _, l := range img.Layers {
			if holders[l.Digest].images > 1 {
				shared += l.ContentSize
			}
		}
		du.Images = append(du.Images, ImageUsage{ID: img.ID, Repository: repo, Size: img.Size, SharedSize: shared, Containers: users[img.ID]})
	}
	vs, err := e.vols.List(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		size, _ := e.vols.Size(ctx, v.Name)
		du.Volumes = append(du.Volumes, VolumeUsage{Name: v.Name, Size: size, Links: len(v.UsedBy)})
	}
	if du.BuildCache, err = e.BuildCache(ctx); err != nil {
		return nil, err
	}
	return du, nil
}

// layerUse is one layer's content size (Docker's figure for a layer in
// system df) and how many images hold it.
type layerUse struct {
	size   int64
	images int
}

// layerHolders counts, per layer blob digest, the images that hold it.
func layerHolders(imgs []images.Image) map[string]layerUse {
	out := map[string]layerUse{}
	for _, img := range imgs {
		seen := map[string]bool{}
		for _, l := range img.Layers {
			if seen[l.Digest] {
				continue
			}
			seen[l.Digest] = true
			u := out[l.Digest]
			u.size, u.images = l.ContentSize, u.images+1
			out[l.Digest] = u
		}
	}
	return out
}

// UsageTotals is one line of system df: how many objects, how many in use,
// their size and what removing the unused ones would free.
type UsageTotals struct {
	Count, Active     int
	Size, Reclaimable int64
}

// DiskTotals are system df's summary lines, computed once for every front
// end (the CLI's table and the API's 1.52+ summaries).
type DiskTotals struct {
	Images, Containers, Volumes, BuildCache UsageTotals
}

// Totals sums du as Docker does: the images' size is the layer blobs
// counted once (LayersSize) and an unused image frees its unshared part;
// a running or paused container is active and the others' writes are
// reclaimable; a volume a container uses is active; a build cache entry in
// use is active and one neither in use nor shared is reclaimable.
func (du *DiskUsage) Totals() DiskTotals {
	t := DiskTotals{
		Images:     UsageTotals{Count: len(du.Images), Size: du.LayersSize},
		Containers: UsageTotals{Count: len(du.Containers)},
		Volumes:    UsageTotals{Count: len(du.Volumes)},
		BuildCache: UsageTotals{Count: len(du.BuildCache)},
	}
	for _, i := range du.Images {
		if i.Containers > 0 {
			t.Images.Active++
		} else {
			t.Images.Reclaimable += i.Size - i.SharedSize
		}
	}
	for _, c := range du.Containers {
		t.Containers.Size += c.Size
		if c.Status == "running" || c.Status == "paused" {
			t.Containers.Active++
		} else {
			t.Containers.Reclaimable += c.Size
		}
	}
	for _, v := range du.Volumes {
		t.Volumes.Size += v.Size
		if v.Links > 0 {
			t.Volumes.Active++
		} else {
			t.Volumes.Reclaimable += v.Size
		}
	}
	for _, c := range du.BuildCache {
		t.BuildCache.Size += c.Size
		if c.InUse {
			t.BuildCache.Active++
		}
		if c.Reclaimable() {
			t.BuildCache.Reclaimable += c.Size
		}
	}
	return t
}
