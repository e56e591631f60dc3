package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"

	"berth/engine"
	"berth/engine/inspect"
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
	return writeJSON(w, http.StatusOK, dfSummaries(&leg, kinds, queryBool(r.URL.Query(), "verbose")))
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
		sum := image.Summary{ID: u.ID, Size: u.Size, SharedSize: u.SharedSize, Containers: int64(u.Containers),
			RepoTags: []string{}, RepoDigests: []string{}, Labels: map[string]string{}}
		if img := byID[u.ID]; img != nil {
			sum.Created, sum.ParentID = img.Created.Unix(), img.Parent
			sum.RepoTags = append(sum.RepoTags, img.RepoTags...)
			sum.RepoDigests = append(sum.RepoDigests, img.RepoDigests...)
			for k, v := range img.Config.Config.Labels {
				sum.Labels[k] = v
			}
		}
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
			State: container.ContainerState(u.Status), SizeRw: u.Size, Labels: map[string]string{}, Mounts: []container.MountPoint{}}
		if c := byID[u.ID]; c != nil {
			sum.ImageID, sum.Created, sum.Status = c.Image, c.Created.Unix(), c.StatusText(now)
			sum.Command = strings.Join(append(append([]string{}, c.Path), c.Args...), " ")
			for k, v := range c.Config.Labels {
				sum.Labels[k] = v
			}
			sum.Mounts = inspect.ContainerOf(c).Mounts
		}
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

// dfSummaries is the API 1.52+ answer: per kind, counts and sizes, and the
// items themselves when verbose.
func dfSummaries(leg *dfLegacy, kinds dfKinds, verbose bool) system.DiskUsage {
	var out system.DiskUsage
	if kinds["image"] {
		out.ImageUsage = dfImageUsage(leg, verbose)
	}
	if kinds["container"] {
		out.ContainerUsage = dfContainerUsage(leg, verbose)
	}
	if kinds["volume"] {
		out.VolumeUsage = dfVolumeUsage(leg, verbose)
	}
	if kinds["build-cache"] {
		out.BuildCacheUsage = dfBuildCacheUsage(leg, verbose)
	}
	return out
}

func dfImageUsage(leg *dfLegacy, verbose bool) *image.DiskUsage {
	u := &image.DiskUsage{TotalCount: int64(len(leg.Images)), TotalSize: leg.LayersSize}
	for _, i := range leg.Images {
		if i.Containers > 0 {
			u.ActiveCount++
		} else {
			u.Reclaimable += i.Size - i.SharedSize
		}
	}
	if verbose {
		u.Items = leg.Images
	}
	return u
}

func dfContainerUsage(leg *dfLegacy, verbose bool) *container.DiskUsage {
	u := &container.DiskUsage{TotalCount: int64(len(leg.Containers))}
	for _, c := range leg.Containers {
		u.TotalSize += c.SizeRw
		if c.State == container.StateRunning || c.State == container.StatePaused {
			u.ActiveCount++
		} else {
			u.Reclaimable += c.SizeRw
		}
	}
	if verbose {
		u.Items = leg.Containers
	}
	return u
}

func dfVolumeUsage(leg *dfLegacy, verbose bool) *volume.DiskUsage {
	u := &volume.DiskUsage{TotalCount: int64(len(leg.Volumes))}
	for _, v := range leg.Volumes {
		u.TotalSize += v.UsageData.Size
		if v.UsageData.RefCount > 0 {
			u.ActiveCount++
		} else {
			u.Reclaimable += v.UsageData.Size
		}
	}
	if verbose {
		u.Items = leg.Volumes
	}
	return u
}

func dfBuildCacheUsage(leg *dfLegacy, verbose bool) *build.DiskUsage {
	u := &build.DiskUsage{TotalCount: int64(len(leg.BuildCache))}
	for _, c := range leg.BuildCache {
		u.TotalSize += c.Size
		if c.InUse {
			u.ActiveCount++
		} else if !c.Shared {
			u.Reclaimable += c.Size
		}
	}
	if verbose {
		u.Items = leg.BuildCache
	}
	return u
}
