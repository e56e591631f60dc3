package engine

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/containerd/errdefs"
)

// pruneFilterValues turns a filters map (as the Docker Engine API carries
// it) into ParsePruneFilters' KEY=VALUE form, refusing keys other than
// allowed with one sentence naming the key.
func pruneFilterValues(filters map[string][]string, allowed ...string) ([]string, error) {
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter '%s'", k))
		}
		for _, v := range filters[k] {
			out = append(out, k+"="+v)
		}
	}
	return out, nil
}

// PruneNetworks removes the unused user-defined networks that pass Docker's
// network prune filters (until, label, label!); empty filters prune every
// unused one. It returns the names removed; each removal is a "destroy"
// event and the whole a "prune" event.
func (e *Engine) PruneNetworks(ctx context.Context, filters map[string][]string) ([]string, error) {
	vals, err := pruneFilterValues(filters, "until", "label", "label!")
	if err != nil {
		return nil, err
	}
	f, err := ParsePruneFilters(vals, time.Now())
	if err != nil {
		return nil, err
	}
	var rep SystemPruneReport
	err = e.pruneNetworks(ctx, f, &rep)
	return rep.NetworksDeleted, err
}

// PruneVolumes removes the unused volumes that pass Docker's volume prune
// filters: anonymous ones only unless all=true (Docker 23+), selected by
// label and label!. It returns the names removed and the bytes freed; each
// removal is a "destroy" event and the whole a "prune" event.
func (e *Engine) PruneVolumes(ctx context.Context, filters map[string][]string) ([]string, uint64, error) {
	all := false
	for _, v := range filters["all"] {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter 'all=%s': want true or false", v))
		}
		all = all || b
	}
	rest := map[string][]string{}
	for k, v := range filters {
		if k != "all" {
			rest[k] = v
		}
	}
	vals, err := pruneFilterValues(rest, "label", "label!")
	if err != nil {
		return nil, 0, err
	}
	f, err := ParsePruneFilters(vals, time.Now())
	if err != nil {
		return nil, 0, err
	}
	var rep SystemPruneReport
	err = e.pruneVolumesOf(ctx, f, all, &rep)
	return rep.VolumesDeleted, rep.SpaceReclaimed, err
}
