package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/events"
	"berth/images"
	"berth/netmgr"
)

// PruneFilters are docker system prune's --filter values: until=TIME prunes
// only what was created before TIME; label=KEY[=VALUE] prunes only what has
// all such labels; label!=KEY[=VALUE] keeps what has all of those.
type PruneFilters struct {
	Until     time.Time // zero: no bound
	Labels    []string  // KEY or KEY=VALUE, all must match
	NotLabels []string  // KEY or KEY=VALUE; an object matching all is kept
}

// ParsePruneFilters parses --filter values ("until=24h", "label=a=b",
// "label!=keep"); until takes what events --since takes, relative to now.
// Anything else is errdefs.ErrInvalidArgument naming the bad value.
func ParsePruneFilters(values []string, now time.Time) (PruneFilters, error) {
	var f PruneFilters
	for _, v := range values {
		key, val, ok := strings.Cut(v, "=")
		if !ok {
			return f, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("bad format of filter %q (expected name=value)", v))
		}
		switch key {
		case "until":
			if !f.Until.IsZero() {
				return f, errdefs.ErrInvalidArgument.WithMessage("more than one until filter")
			}
			t, err := events.ParseTime(val, now)
			if err != nil || t.IsZero() {
				return f, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid until filter %q (want a timestamp, a date or a duration such as 24h)", val))
			}
			f.Until = t
		case "label", "label!":
			if val == "" || strings.HasPrefix(val, "=") {
				return f, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid %s filter %q (want KEY or KEY=VALUE)", key, v))
			}
			if key == "label" {
				f.Labels = append(f.Labels, val)
			} else {
				f.NotLabels = append(f.NotLabels, val)
			}
		default:
			return f, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter %q (want until, label or label!)", key))
		}
	}
	return f, nil
}

// Match reports whether an object created at created with labels is to be
// pruned under f. A zero created time never passes an until filter.
func (f PruneFilters) Match(created time.Time, labels map[string]string) bool {
	if !f.Until.IsZero() && (created.IsZero() || created.After(f.Until)) {
		return false
	}
	for _, l := range f.Labels {
		if !hasLabel(labels, l) {
			return false
		}
	}
	if len(f.NotLabels) > 0 {
		all := true
		for _, l := range f.NotLabels {
			all = all && hasLabel(labels, l)
		}
		if all {
			return false
		}
	}
	return true
}

func hasLabel(labels map[string]string, kv string) bool {
	k, v, withValue := strings.Cut(kv, "=")
	got, ok := labels[k]
	return ok && (!withValue || got == v)
}

// SystemPruneOptions are docker system prune's flags.
type SystemPruneOptions struct {
	All     bool // every unused image, not just dangling ones
	Volumes bool // anonymous volumes no container uses
	Filters PruneFilters
}

// Validate refuses what Docker refuses: the until filter does not apply to
// volumes, so it cannot go with Volumes.
func (o SystemPruneOptions) Validate() error {
	if o.Volumes && !o.Filters.Until.IsZero() {
		return errdefs.ErrInvalidArgument.WithMessage("the until filter is not supported with --volumes")
	}
	return nil
}

// SystemPruneReport lists what SystemPrune removed.
type SystemPruneReport struct {
	ContainersDeleted []string
	NetworksDeleted   []string
	VolumesDeleted    []string
	ImagesDeleted     []images.DeleteResponse
	SpaceReclaimed    uint64
}

// SystemPrune removes, in Docker's order, stopped containers, unused
// user-defined networks, (with Volumes) unused anonymous volumes and dangling
// images (every unused image with All), each narrowed by the filters. There
// is no build cache to prune: berth's builder keeps its cache as images.
// What was removed before an error is in the report.
func (e *Engine) SystemPrune(ctx context.Context, o SystemPruneOptions) (*SystemPruneReport, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	rep := &SystemPruneReport{}
	steps := []func(context.Context, PruneFilters, *SystemPruneReport) error{e.pruneContainers, e.pruneNetworks}
	if o.Volumes {
		steps = append(steps, e.pruneVolumes)
	}
	steps = append(steps, func(ctx context.Context, f PruneFilters, rep *SystemPruneReport) error {
		return e.pruneImages(ctx, o.All, f, rep)
	})
	for _, step := range steps {
		if err := step(ctx, o.Filters, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (e *Engine) pruneContainers(ctx context.Context, f PruneFilters, rep *SystemPruneReport) error {
	cs, err := e.List(ctx, true)
	if err != nil {
		return err
	}
	var reclaimed uint64
	defer func() { e.emitPrune("container", reclaimed) }()
	for _, c := range cs {
		if c.State.Running || !f.Match(c.Created, c.Config.Labels) {
			continue
		}
		size := dirSize(filepath.Join(e.containerDir(c.ID), "fs/upper")) + fileSize(e.logPath(c.ID))
		err := e.Remove(ctx, c.ID, RemoveOptions{})
		if errdefs.IsConflict(err) || errdefs.IsNotFound(err) {
			continue // started or removed meanwhile
		}
		if err != nil {
			return err
		}
		rep.ContainersDeleted = append(rep.ContainersDeleted, c.ID)
		reclaimed += size
	}
	rep.SpaceReclaimed += reclaimed
	return nil
}

func (e *Engine) pruneNetworks(ctx context.Context, f PruneFilters, rep *SystemPruneReport) error {
	ns, err := e.nets.List(ctx)
	if err != nil {
		return err
	}
	defer e.emitPrune("network", 0)
	for _, n := range ns {
		if netmgr.Predefined(n.Name) || !f.Match(n.Created, n.Labels) {
			continue
		}
		err := e.RemoveNetwork(ctx, n.ID)
		if errdefs.IsConflict(err) || errdefs.IsNotFound(err) {
			continue // in use, or removed meanwhile
		}
		if err != nil {
			return err
		}
		rep.NetworksDeleted = append(rep.NetworksDeleted, n.Name)
	}
	return nil
}

func (e *Engine) pruneVolumes(ctx context.Context, f PruneFilters, rep *SystemPruneReport) error {
	return e.pruneVolumesOf(ctx, f, false, rep)
}

// pruneVolumesOf removes the unused volumes that pass f: anonymous ones, and
// named ones too when all (Docker 23+'s volume prune --all).
func (e *Engine) pruneVolumesOf(ctx context.Context, f PruneFilters, all bool, rep *SystemPruneReport) error {
	vs, err := e.vols.List(ctx, map[string][]string{"dangling": {"true"}})
	if err != nil {
		return err
	}
	var reclaimed uint64
	defer func() { e.emitPrune("volume", reclaimed) }()
	for _, v := range vs {
		if (!v.Anonymous && !all) || !f.Match(v.CreatedAt, v.Labels) {
			continue
		}
		size, _ := e.vols.Size(ctx, v.Name)
		err := e.RemoveVolume(ctx, v.Name, false)
		if errdefs.IsConflict(err) || errdefs.IsNotFound(err) {
			continue // taken into use, or removed meanwhile
		}
		if err != nil {
			return err
		}
		rep.VolumesDeleted = append(rep.VolumesDeleted, v.Name)
		reclaimed += uint64(size)
	}
	rep.SpaceReclaimed += reclaimed
	return nil
}

// pruneImages removes dangling (with all, every unused) images that match
// f; an image a container uses, or that f spares, is kept.
func (e *Engine) pruneImages(ctx context.Context, all bool, f PruneFilters, rep *SystemPruneReport) error {
	keep, err := e.imagesKept(ctx, f)
	if err != nil {
		return err
	}
	resp, n, err := e.images.Prune(ctx, all, keep)
	rep.ImagesDeleted = append(rep.ImagesDeleted, resp...)
	if n > 0 {
		rep.SpaceReclaimed += uint64(n)
	}
	e.emitPrune("image", uint64(max(n, 0)))
	if err != nil {
		return fmt.Errorf("prune images: %w", err)
	}
	return nil
}

// emitPrune records Docker's "prune" event of one kind of object.
func (e *Engine) emitPrune(kind string, reclaimed uint64) {
	_ = e.events.Append(events.Event{Type: kind, Action: "prune",
		Attributes: map[string]string{"reclaimed": strconv.FormatUint(reclaimed, 10)}})
}
