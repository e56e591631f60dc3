package client

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/system"
	moby "github.com/moby/moby/client"

	"berth/engine"
	"berth/engine/events"
	"berth/images"
)

// Version reports the server's versions.
func (c *Client) Version(ctx context.Context) (*system.VersionResponse, error) {
	v, err := c.api.ServerVersion(ctx, moby.ServerVersionOptions{})
	if err != nil {
		return nil, wire(err, "read the server's version")
	}
	out := &system.VersionResponse{Platform: system.PlatformInfo{Name: v.Platform.Name}, Version: v.Version,
		APIVersion: v.APIVersion, MinAPIVersion: v.MinAPIVersion, Os: v.Os, Arch: v.Arch, Components: v.Components}
	for _, comp := range v.Components {
		if comp.Name != "Engine" {
			continue
		}
		d := comp.Details
		out.GitCommit, out.GoVersion, out.KernelVersion, out.BuildTime = d["GitCommit"], d["GoVersion"], d["KernelVersion"], d["BuildTime"]
	}
	return out, nil
}

// Info reports the server's host and counts.
func (c *Client) Info(ctx context.Context) (*system.Info, error) {
	res, err := c.api.Info(ctx, moby.InfoOptions{})
	if err != nil {
		return nil, wire(err, "read the server's info")
	}
	return &res.Info, nil
}

// DiskUsage reports the space images, containers, volumes and the build
// cache take, from the server's system df.
func (c *Client) DiskUsage(ctx context.Context) (*engine.DiskUsage, error) {
	res, err := c.api.DiskUsage(ctx, moby.DiskUsageOptions{Containers: true, Images: true, Volumes: true,
		BuildCache: true, Verbose: true})
	if err != nil {
		return nil, wire(err, "measure disk use")
	}
	du := &engine.DiskUsage{}
	for _, img := range res.Images.Items {
		repo := "<none>"
		if len(img.RepoTags) > 0 {
			repo = img.RepoTags[0]
		}
		du.Images = append(du.Images, engine.ImageUsage{ID: img.ID, Repository: repo, Size: img.Size,
			Containers: int(img.Containers)})
	}
	for _, ctr := range res.Containers.Items {
		du.Containers = append(du.Containers, engine.ContainerUsage{ID: ctr.ID, Name: trimName(ctr.Names),
			Image: ctr.Image, Status: string(ctr.State), Running: ctr.State == "running", Size: ctr.SizeRw})
	}
	for _, v := range res.Volumes.Items {
		vu := engine.VolumeUsage{Name: v.Name}
		if v.UsageData != nil {
			vu.Size, vu.Links = v.UsageData.Size, int(v.UsageData.RefCount)
		}
		du.Volumes = append(du.Volumes, vu)
	}
	for _, b := range res.BuildCache.Items {
		du.BuildCache = append(du.BuildCache, images.CacheEntry{ID: b.ID, Type: b.Type, Description: b.Description,
			Size: b.Size, Created: b.CreatedAt, InUse: b.InUse, Shared: b.Shared})
	}
	return du, nil
}

// SystemPrune prunes, in Docker's order, stopped containers, unused
// networks, (with Volumes) unused anonymous volumes and dangling images
// (every unused image with All), as docker system prune does over the API.
// What was removed before an error is in the report.
func (c *Client) SystemPrune(ctx context.Context, o engine.SystemPruneOptions) (*engine.SystemPruneReport, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	f := pruneFilters(o.Filters)
	rep := &engine.SystemPruneReport{}
	cr, err := c.api.ContainerPrune(ctx, moby.ContainerPruneOptions{Filters: f})
	if err != nil {
		return rep, wire(err, "prune containers")
	}
	rep.ContainersDeleted, rep.SpaceReclaimed = cr.Report.ContainersDeleted, cr.Report.SpaceReclaimed
	nr, err := c.api.NetworkPrune(ctx, moby.NetworkPruneOptions{Filters: f})
	if err != nil {
		return rep, wire(err, "prune networks")
	}
	rep.NetworksDeleted = nr.Report.NetworksDeleted
	if o.Volumes {
		vr, err := c.api.VolumePrune(ctx, moby.VolumePruneOptions{Filters: pruneFilters(engine.PruneFilters{
			Labels: o.Filters.Labels, NotLabels: o.Filters.NotLabels})})
		if err != nil {
			return rep, wire(err, "prune volumes")
		}
		rep.VolumesDeleted, rep.SpaceReclaimed = vr.Report.VolumesDeleted, rep.SpaceReclaimed+vr.Report.SpaceReclaimed
	}
	imf := pruneFilters(o.Filters)
	if o.All {
		imf.Add("dangling", "false")
	}
	ir, err := c.api.ImagePrune(ctx, moby.ImagePruneOptions{Filters: imf})
	if err != nil {
		return rep, wire(err, "prune images")
	}
	rep.ImagesDeleted = deleted(ir.Report.ImagesDeleted)
	rep.SpaceReclaimed += ir.Report.SpaceReclaimed
	return rep, nil
}

// pruneFilters are the prune endpoints' filters for f.
func pruneFilters(f engine.PruneFilters) moby.Filters {
	out := moby.Filters{}
	if !f.Until.IsZero() {
		out.Add("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	if len(f.Labels) > 0 {
		out.Add("label", f.Labels...)
	}
	if len(f.NotLabels) > 0 {
		out.Add("label!", f.NotLabels...)
	}
	return out
}

// Subscribe streams the events that match f from GET /events until ctx ends
// (or f's Until passes); the error channel says why a stream ended early.
func (c *Client) Subscribe(ctx context.Context, f events.Filter) (<-chan events.Event, <-chan error) {
	out, errs := make(chan events.Event), make(chan error, 1)
	res := c.api.Events(ctx, moby.EventsListOptions{Since: apiTime(f.Since), Until: apiTime(f.Until),
		Filters: eventFilters(f)})
	go func() {
		defer close(errs)
		defer close(out)
		for {
			select {
			case m := <-res.Messages:
				ev := events.Event{Time: time.Unix(0, m.TimeNano).UTC(), Type: string(m.Type),
					Action: string(m.Action), ID: m.Actor.ID, Attributes: m.Actor.Attributes}
				if m.TimeNano == 0 {
					ev.Time = time.Unix(m.Time, 0).UTC()
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case err := <-res.Err:
				if err := streamEnd(ctx, err, !f.Until.IsZero()); err != nil {
					errs <- err
				}
				return
			}
		}
	}()
	return out, errs
}

// streamEnd says why an events stream ended: nothing when ctx ended it or
// when the server closed it at the until asked for, else what went wrong.
func streamEnd(ctx context.Context, err error, bounded bool) error {
	switch {
	case err == nil || ctx.Err() != nil:
		return nil
	case errors.Is(err, io.EOF) && bounded:
		return nil
	case errors.Is(err, io.EOF):
		return errdefs.ErrUnavailable.WithMessage("follow events: the server ended the stream")
	}
	return wire(err, "follow events")
}

// eventFilters are the events endpoint's filters for f.
func eventFilters(f events.Filter) moby.Filters {
	out := moby.Filters{}
	for key, vs := range map[string][]string{"container": f.Containers, "image": f.Images, "network": f.Networks,
		"volume": f.Volumes, "type": f.Types, "event": f.Actions, "label": f.Labels} {
		if len(vs) > 0 {
			out.Add(key, vs...)
		}
	}
	return out
}

// ReadEvents returns the recorded events that match f, oldest first: the
// events stream from f's Since (the beginning when zero) until f's Until
// (now when zero).
func (c *Client) ReadEvents(ctx context.Context, f events.Filter) ([]events.Event, error) {
	if f.Since.IsZero() {
		f.Since = time.Unix(0, 1)
	}
	if f.Until.IsZero() {
		f.Until = time.Now()
	}
	evs, errs := c.Subscribe(ctx, f)
	var out []events.Event
	for ev := range evs {
		out = append(out, ev)
	}
	if err := <-errs; err != nil {
		return out, err
	}
	return out, ctx.Err()
}

// Warnings are the server's warnings (its info's), as read when the client
// connected.
func (c *Client) Warnings() []string { return append([]string(nil), c.warnings...) }

// RegistryLogin has the server check credentials against a registry.
func (c *Client) RegistryLogin(ctx context.Context, server, username, password string) error {
	_, err := c.api.RegistryLogin(ctx, moby.RegistryLoginOptions{Username: username, Password: password, ServerAddress: server})
	return wire(err, "log in to "+server)
}
