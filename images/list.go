package images

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// ListOptions selects images for List.
type ListOptions struct {
	// All includes intermediate images (untagged parents of other images).
	All bool
	// Filters maps a filter name to accepted values, as `docker images --filter`:
	// "dangling" ("true"/"false"), "reference" (path.Match patterns on the
	// familiar repo or repo:tag), "label" ("key" or "key=value", all must
	// match), "before" and "since" (image references) and "until" (a
	// timestamp or a duration back from now).
	Filters map[string][]string
}

// List returns the images matching opts, newest first.
func (s *Store) List(ctx context.Context, opts ListOptions) ([]Image, error) {
	for k := range opts.Filters {
		if !listFilters[k] {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid filter %q", k))
		}
	}
	bounds, err := s.resolveTimeBounds(ctx, opts.Filters, time.Now())
	if err != nil {
		return nil, err
	}
	imgs, err := s.allImages(ctx, s.db)
	if err != nil {
		return nil, err
	}
	all := make([]Image, 0, len(imgs))
	parents := map[string]bool{}
	for _, img := range imgs {
		all = append(all, *img)
		if img.Parent != "" {
			parents[img.Parent] = true
		}
	}
	var out []Image
	for _, img := range all {
		if !opts.All && len(img.RepoTags) == 0 && parents[img.ID] {
			continue
		}
		ok, err := matchFilters(&img, opts.Filters)
		if err != nil {
			return nil, err
		}
		if ok && bounds.match(img.Created) {
			out = append(out, img)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

func matchFilters(img *Image, filters map[string][]string) (bool, error) {
	if vals, ok := filters["dangling"]; ok {
		match := false
		for _, v := range vals {
			switch strings.ToLower(v) {
			case "true", "1":
				match = match || len(img.RepoTags) == 0
			case "false", "0":
				match = match || len(img.RepoTags) > 0
			default:
				return false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid dangling filter %q", v))
			}
		}
		if !match {
			return false, nil
		}
	}
	if vals, ok := filters["label"]; ok {
		if ok, err := matchLabels(img, vals); err != nil || !ok {
			return false, err
		}
	}
	if pats, ok := filters["reference"]; ok {
		match := false
		for _, p := range pats {
			if _, err := path.Match(p, ""); err != nil {
				return false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid reference filter %q", p))
			}
			for _, t := range img.RepoTags {
				repo := t[:strings.LastIndex(t, ":")]
				if ok, _ := path.Match(p, t); ok {
					match = true
				}
				if ok, _ := path.Match(p, repo); ok {
					match = true
				}
			}
		}
		if !match {
			return false, nil
		}
	}
	return true, nil
}
