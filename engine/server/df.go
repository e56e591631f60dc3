package server

import (
	"context"
	"net/http"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"

	"berth/engine"
)

// diskUsageRoutes registers GET /system/df.
func (s *Server) diskUsageRoutes() {
	s.handle("GET /system/df", s.diskUsage)
}

// dfLegacy is GET /system/df's answer before API 1.52: every object listed,
// with the total size of the image layers.
type dfLegacy struct {
	LayersSize int64               `json:"LayersSize"`
	Images     []image.Summary     `json:"Images"`
	Containers []container.Summary `json:"Containers"`
	Volumes    []volume.Volume     `json:"Volumes"`
	BuildCache []build.CacheRecord `json:"BuildCache"`
}

// dfKinds are the object kinds a request asks for (type=, all when absent).
type dfKinds map[string]bool

func parseDfKinds(r *http.Request) (dfKinds, error) {
	k := dfKinds{}
	for _, t := range r.URL.Query()["type"] {
		switch t {
		case "container", "image", "volume", "build-cache":
			k[t] = true
		default:
			return nil, badRequest("invalid type %q: want container, image, volume or build-cache", t)
		}
	}
	if len(k) == 0 {
		k = dfKinds{"container": true, "image": true, "volume": true, "build-cache": true}
	}
	return k, nil
}

// diskUsage answers GET /system/df?type=&verbose=: the legacy lists for API
// versions before 1.52, the per-kind summaries (with items when verbose)
// from 1.52 on.
func (s *Server) diskUsage(w http.ResponseWriter, r *http.Request) error {
	kinds, err := parseDfKinds(r)
	if err != nil {
		return err
	}
	du, err := s.eng.DiskUsage(r.Context())
	if err != nil {
		return err
	}
	var leg dfLegacy
	if kinds["image"] {
		leg.LayersSize = du.LayersSize
		if leg.Images, err = s.dfImages(r.Context(), du); err != nil {
			return err
		}
	}
	if kinds["container"] {
		if leg.Containers, err = s.dfContainers(r.Context(), du); err != nil {
			return err
		}
	}
	if kinds["volume"] {
		if leg.Volumes, err = s.dfVolumes(r.Context(), du); err != nil {
			return err
		}
	}
	if kinds["build-cache"] {
		leg.BuildCache = dfBuildCache(du)
	}
	if versionLess(apiVersion(r), "1.52") {
		return writeJSON(w, http.StatusOK, leg)
	}
	return writeJSON(w, http.StatusOK, dfSummaries(&leg, du.Totals(), kinds, queryBool(r.URL.Query(), "verbose")))
}

// dfImages lists the images with their sizes and users.
func (s *Server) dfImages(ctx context.Context, du *engine.DiskUsage) ([]image.Summary, error) {
	imgs, err := s.eng.ListImages(ctx, engine.ImageListOptions{All: true})
	if err != nil {
		return nil, err
	}
	byID := map[string]*engine.Image{}
	for i := range imgs {
		byID[imgs[i].ID] = &imgs[i]
	}
	out := []image.Summary{}
	for _, u := range du.Images {
		sum := image.Summary{ID: u.ID, RepoTags: []string{}, RepoDigests: []string{}, Labels: map[string]string{}}
		if img := byID[u.ID]; img != nil {
			sum = imageSummary(img, nonNilStrings(img.RepoTags))
		}
		sum.Size, sum.SharedSize, sum.Containers = u.Size, u.SharedSize, int64(u.Containers)
		out = append(out, sum)
	}
	return out, nil
}

// dfContainers lists the containers with the size of their own writes.
func (s *Server) dfContainers(ctx context.Context, du *engine.DiskUsage) ([]container.Summary, error) {
	cs, err := s.eng.ListContainers(ctx, engine.ContainerListOptions{All: true})
	if err != nil {
		return nil, err
	}
	byID := map[string]*engine.Container{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	now := time.Now()
	out := []container.Summary{}
	for _, u := range du.Containers {
		sum := container.Summary{ID: u.ID, Names: []string{"/" + u.Name}, Image: u.Image,
			State: container.ContainerState(u.Status), Labels: map[string]string{}, Mounts: []container.MountPoint{}}
		if c := byID[u.ID]; c != nil {
			sum = summaryOf(c, now)
		}
		sum.SizeRw = u.Size
		out = append(out, sum)
	}
	return out, nil
}

// dfVolumes lists the volumes with their size and reference count.
func (s *Server) dfVolumes(ctx context.Context, du *engine.DiskUsage) ([]volume.Volume, error) {
	vs, err := s.eng.ListVolumes(ctx, nil)
	if err != nil {
		return nil, err
	}
	byName := map[string]*engine.Volume{}
	for i := range vs {
		byName[vs[i].Name] = &vs[i]
	}
	out := []volume.Volume{}
	for _, u := range du.Volumes {
		v := volume.Volume{Name: u.Name, Driver: engine.VolumeDriverLocal, Scope: "local",
			Labels: map[string]string{}, Options: map[string]string{}}
		if full := byName[u.Name]; full != nil {
			v = dockerVolume(full)
		}
		v.UsageData = &volume.UsageData{Size: u.Size, RefCount: int64(u.Links)}
		out = append(out, v)
	}
	return out, nil
}

// dfBuildCache lists the build cache entries.
func dfBuildCache(du *engine.DiskUsage) []build.CacheRecord {
	out := []build.CacheRecord{}
	for _, c := range du.BuildCache {
		out = append(out, build.CacheRecord{ID: c.ID, Type: c.Type, Description: c.Description,
			InUse: c.InUse, Shared: c.Shared, Size: c.Size, CreatedAt: c.Created})
	}
	return out
}

// dfSummaries is the API 1.52+ answer: per kind, the engine's counts and
// sizes, and the items themselves when verbose.
func dfSummaries(leg *dfLegacy, t engine.DiskTotals, kinds dfKinds, verbose bool) system.DiskUsage {
	var out system.DiskUsage
	if kinds["image"] {
		out.ImageUsage = &image.DiskUsage{TotalCount: int64(t.Images.Count), ActiveCount: int64(t.Images.Active),
			TotalSize: t.Images.Size, Reclaimable: t.Images.Reclaimable}
		if verbose {
			out.ImageUsage.Items = leg.Images
		}
	}
	if kinds["container"] {
		out.ContainerUsage = &container.DiskUsage{TotalCount: int64(t.Containers.Count), ActiveCount: int64(t.Containers.Active),
			TotalSize: t.Containers.Size, Reclaimable: t.Containers.Reclaimable}
		if verbose {
			out.ContainerUsage.Items = leg.Containers
		}
	}
	if kinds["volume"] {
		out.VolumeUsage = &volume.DiskUsage{TotalCount: int64(t.Volumes.Count), ActiveCount: int64(t.Volumes.Active),
			TotalSize: t.Volumes.Size, Reclaimable: t.Volumes.Reclaimable}
		if verbose {
			out.VolumeUsage.Items = leg.Volumes
		}
	}
	if kinds["build-cache"] {
		out.BuildCacheUsage = &build.DiskUsage{TotalCount: int64(t.BuildCache.Count), ActiveCount: int64(t.BuildCache.Active),
			TotalSize: t.BuildCache.Size, Reclaimable: t.BuildCache.Reclaimable}
		if verbose {
			out.BuildCacheUsage.Items = leg.BuildCache
		}
	}
	return out
}
